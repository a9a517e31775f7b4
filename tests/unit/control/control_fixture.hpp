// control_fixture.hpp: a ControlServer over real PvServices and a counting Platform, plus a raw
// client for the control tests.
#pragma once

#include "control_server.hpp"
#include "seqpacket.hpp"

#include <atomic>
#include <cstring>
#include <gtest/gtest.h>
#include <mutex>
#include <utility>
#include <vector>

namespace pvisor::test {

// Platform whose counters other threads may update while the test reads them.
class CountingPlatform final : public Platform {
  public:
    CountingPlatform();
    const GuestMemory& memory() const override { return m_mem; }
    unsigned vcpu_count() const override { return 1; }
    void raise_upcall(unsigned) override { m_upcalls.fetch_add(1); }
    void request_shutdown(ShutdownReason) override {}
    Status add_notify_eventfd(std::uint32_t, int) override;
    Status remove_notify_eventfd(std::uint32_t, int) override;

    GuestMemory m_mem;
    std::atomic<unsigned> m_upcalls{0};
    std::atomic<int> m_notify_fds{0}; // registered ioeventfds now
};

struct ControlFixture : ::testing::Test {
    static constexpr std::uint64_t kSharedInfo = 0x10000;
    static constexpr std::uint64_t kArg = 0x20000;

    CountingPlatform platform;
    std::unique_ptr<PvServices> pv;
    std::unique_ptr<ControlServer> server;
    std::string dir;
    std::mutex store_lock;
    std::vector<std::pair<std::string, std::string>> store_writes; // guarded by store_lock
    std::vector<std::string> log_lines;                            // guarded by store_lock

    void SetUp() override;
    void TearDown() override;

    std::int32_t hypercall(std::uint64_t nr, std::uint64_t a0, std::uint64_t a1);
    // The guest allocates an unbound port for `remote_dom`.
    std::uint32_t alloc_unbound(std::uint16_t remote_dom);
    // EVTCHNOP_status of `port`: {status, remote dom}.
    std::pair<std::uint32_t, std::uint32_t> port_status(std::uint32_t port);
    bool port_pending(std::uint32_t port);

    UniqueFd connect_client();
    // Sends raw bytes; returns the reply datagram's bytes and fds.
    std::vector<std::byte> exchange_bytes(int fd, std::span<const std::byte> req,
                                          std::vector<UniqueFd>* fds = nullptr);
    template <typename Req>
    std::vector<std::byte> exchange(int fd, const Req& req, std::vector<UniqueFd>* fds = nullptr) {
        return exchange_bytes(fd, std::span<const std::byte>(std::as_bytes(std::span(&req, 1))),
                              fds);
    }
    ctl::AttachRequest attach_request(const char* device = "");
    ctl::PortRequest port_request(ctl::Op op, std::uint32_t port);
    // Polls (1 ms steps, at most 10 s) until pred() is true; returns pred().
    template <typename Pred>
    static bool eventually(Pred pred) {
        for (int i = 0; i < 10000 && !pred(); ++i)
            sleep_ms(1);
        return pred();
    }
    static void sleep_ms(int ms);
};

template <typename T>
T as(const std::vector<std::byte>& bytes) {
    T v{};
    EXPECT_EQ(bytes.size(), sizeof v);
    std::memcpy(&v, bytes.data(), std::min(bytes.size(), sizeof v));
    return v;
}

} // namespace pvisor::test
