// store_socket_test.cpp: StoreService end to end: unix socket clients, the CLI, the guest ring.
#include "pv/pvisor.h"
#include "store_cli.hpp"
#include "store_client.hpp"
#include "store_protocol.hpp"
#include "store_service.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <poll.h>
#include <sstream>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace pvisor::store {
namespace {

using namespace std::string_literals;

// Blocks (up to a generous safety bound, never asserted on) until `fd` is readable.
bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 20000) == 1;
}

class StoreSocketTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "pvisor-store-XXXXXX";
        const auto base = std::filesystem::temp_directory_path() / tmpl;
        std::string buf = base.string();
        ASSERT_NE(::mkdtemp(buf.data()), nullptr);
        dir = buf;
        notify_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        guest_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        StoreConfig cfg;
        cfg.socket_path = store_socket_path(dir);
        cfg.guest_domid = 1;
        cfg.guest_name = "testguest";
        cfg.ring_page = std::as_writable_bytes(std::span(page));
        cfg.store_evtchn = 3;
        cfg.notify_guest = [fd = notify_fd.get()] {
            const std::uint64_t one = 1;
            [[maybe_unused]] auto n = ::write(fd, &one, sizeof one);
        };
        cfg.guest_notify_fd = guest_fd.get();
        auto s = StoreService::create(std::move(cfg));
        ASSERT_TRUE(s.ok());
        service = std::move(*s);
        ASSERT_TRUE(service->start().ok());
    }
    void TearDown() override {
        service.reset();
        std::filesystem::remove_all(dir);
    }
    StoreClient client() {
        auto c = StoreClient::connect(store_socket_path(dir));
        EXPECT_TRUE(c.ok());
        return std::move(*c);
    }
    // Runs the CLI in-process with stdout/stderr captured; returns the exit status.
    int cli(std::vector<std::string> args, std::string* out = nullptr, std::string* err = nullptr) {
        args.insert(args.begin(), "store");
        if (args[1] != "--help") {
            args.insert(args.begin() + 2, dir);
            args.insert(args.begin() + 2, "--control");
        }
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        const auto out_path = std::filesystem::path(dir) / "out";
        const auto err_path = std::filesystem::path(dir) / "err";
        std::fflush(stdout);
        std::fflush(stderr);
        const int saved_out = ::dup(1), saved_err = ::dup(2);
        std::FILE* fo = std::fopen(out_path.c_str(), "w");
        std::FILE* fe = std::fopen(err_path.c_str(), "w");
        ::dup2(::fileno(fo), 1);
        ::dup2(::fileno(fe), 2);
        const int rc = store_command_main(static_cast<int>(argv.size()), argv.data());
        std::fflush(stdout);
        std::fflush(stderr);
        ::dup2(saved_out, 1);
        ::dup2(saved_err, 2);
        ::close(saved_out);
        ::close(saved_err);
        std::fclose(fo);
        std::fclose(fe);
        auto slurp = [](const std::filesystem::path& p) {
            std::ifstream f(p);
            std::stringstream ss;
            ss << f.rdbuf();
            return ss.str();
        };
        if (out)
            *out = slurp(out_path);
        if (err)
            *err = slurp(err_path);
        return rc;
    }
    xenstore_domain_interface* iface() {
        return reinterpret_cast<xenstore_domain_interface*>(page);
    }
    // The guest side: put a request on the ring and notify the store port.
    void guest_send(const std::string& bytes) {
        auto* i = iface();
        for (std::size_t k = 0; k < bytes.size(); ++k)
            i->req[MASK_XENSTORE_IDX(i->req_prod + k)] = bytes[k];
        std::atomic_thread_fence(std::memory_order_release);
        i->req_prod += static_cast<std::uint32_t>(bytes.size());
        const std::uint64_t one = 1;
        ASSERT_EQ(::write(guest_fd.get(), &one, sizeof one), 8);
    }
    // Waits for the store's notifications until one whole message is in the rsp ring.
    XsMessage guest_receive() {
        for (;;) {
            std::atomic_thread_fence(std::memory_order_acquire);
            auto* i = iface();
            while (i->rsp_cons != std::atomic_ref<std::uint32_t>(i->rsp_prod).load()) {
                const std::byte b{
                    static_cast<unsigned char>(i->rsp[MASK_XENSTORE_IDX(i->rsp_cons)])};
                i->rsp_cons++;
                guest_reader.feed(std::span(&b, 1));
                if (guest_reader.has_message())
                    return guest_reader.take();
            }
            if (!wait_readable(notify_fd.get()))
                return {};
            std::uint64_t v = 0;
            [[maybe_unused]] auto n = ::read(notify_fd.get(), &v, sizeof v);
        }
    }

    std::string dir;
    alignas(4096) unsigned char page[4096]{};
    UniqueFd notify_fd, guest_fd;
    MessageReader guest_reader;
    std::unique_ptr<StoreService> service;
};

TEST_F(StoreSocketTest, ClientReadWriteDirectoryRm) {
    auto c = client();
    EXPECT_EQ(*c.read("/local/domain/1/name"), "testguest");
    ASSERT_TRUE(c.write("/tool/x/y", "42").ok());
    EXPECT_EQ(*c.read("/tool/x/y"), "42");
    EXPECT_EQ(*c.directory("/tool/x"), std::vector<std::string>{"y"});
    EXPECT_EQ(*c.get_perms("/local/domain/1"), std::vector<std::string>{"n1"});
    ASSERT_TRUE(c.rm("/tool").ok());
    EXPECT_EQ(c.read("/tool/x/y").error(), XsErr::enoent);
    EXPECT_EQ(c.read("bad//path").error(), XsErr::einval);
}

TEST_F(StoreSocketTest, WatchEventCrossesClients) {
    auto a = client();
    auto b = client();
    ASSERT_TRUE(a.watch("/shared", "tokA").ok());
    EXPECT_EQ(*a.wait_event(), (WatchEvent{"/shared", "tokA"}));
    ASSERT_TRUE(b.write("/shared/leaf", "v").ok());
    EXPECT_EQ(*a.wait_event(), (WatchEvent{"/shared/leaf", "tokA"}));
}

TEST_F(StoreSocketTest, TransactionConflictOverSocketIsEagain) {
    auto a = client();
    auto b = client();
    ASSERT_TRUE(a.write("/acct", "100").ok());
    auto tx = a.transaction_start();
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(*a.read("/acct", *tx), "100");
    ASSERT_TRUE(a.write("/acct", "90", *tx).ok());
    ASSERT_TRUE(b.write("/acct", "50").ok());
    EXPECT_EQ(a.transaction_end(*tx, true).error(), XsErr::eagain);
    EXPECT_EQ(*b.read("/acct"), "50");
}

TEST_F(StoreSocketTest, GarbageClientIsDroppedOthersKeepWorking) {
    auto good = client();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = store_socket_path(dir);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd bad(::socket(AF_UNIX, SOCK_STREAM, 0));
    ASSERT_EQ(::connect(bad.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    const xsd_sockmsg hdr{XS_WRITE, 1, 0, 100000};
    ASSERT_EQ(::write(bad.get(), &hdr, sizeof hdr), 16);
    char buf[16];
    EXPECT_EQ(::read(bad.get(), buf, sizeof buf), 0); // the server closed it
    EXPECT_EQ(service->stats().clients_broken, 1U);
    ASSERT_TRUE(good.write("/still", "ok").ok());
    EXPECT_EQ(*good.read("/still"), "ok");
}

TEST_F(StoreSocketTest, GuestRingThroughServiceAndHostWriteFiresGuestWatch) {
    EXPECT_EQ(iface()->evtchn_port, 3U);
    guest_send([] {
        std::string s;
        append_message(s, XS_WATCH, 5, 0, "control\0ctl\0"s);
        return s;
    }());
    XsMessage m = guest_receive();
    EXPECT_EQ(m.hdr.req_id, 5U);
    EXPECT_EQ(m.payload, "OK\0"s);
    m = guest_receive();
    EXPECT_EQ(m.payload, "control\0ctl\0"s);
    auto host = client();
    ASSERT_TRUE(host.write("/local/domain/1/control/shutdown", "poweroff").ok());
    m = guest_receive();
    EXPECT_EQ(m.hdr.type, static_cast<std::uint32_t>(XS_WATCH_EVENT));
    EXPECT_EQ(m.payload, "control/shutdown\0ctl\0"s);
    // The guest cannot read the backend area; the host sees what the guest wrote.
    guest_send([] {
        std::string s;
        append_message(s, XS_READ, 6, 0, "/local/domain/0/backend\0"s);
        append_message(s, XS_WRITE, 7, 0, "data/hello\0world"s);
        return s;
    }());
    m = guest_receive();
    EXPECT_EQ(m.hdr.type, static_cast<std::uint32_t>(XS_ERROR));
    EXPECT_EQ(m.payload, "EACCES\0"s);
    m = guest_receive();
    EXPECT_EQ(m.hdr.req_id, 7U);
    EXPECT_EQ(*host.read("/local/domain/1/data/hello"), "world");
}

TEST_F(StoreSocketTest, ConnectFdGivesAConnectionAsTheGivenDomain) {
    auto fd = service->connect_fd(1);
    ASSERT_TRUE(fd.ok());
    auto guest = StoreClient::from_fd(std::move(*fd));
    EXPECT_EQ(guest.read("/local/domain/0/backend").error(), XsErr::eacces);
    ASSERT_TRUE(guest.write("data/via-fd", "1").ok()); // relative: under /local/domain/1
    auto host = client();
    EXPECT_EQ(*host.read("/local/domain/1/data/via-fd"), "1");
    ASSERT_TRUE(guest.watch("data", "t").ok());
    ASSERT_TRUE(guest.write("data/again", "2").ok());
    // The initial event followed the watch reply and arrived during the write request; the
    // write's own event follows the write's reply.
    EXPECT_EQ(guest.take_queued_event(), (WatchEvent{"data", "t"}));
    EXPECT_FALSE(guest.take_queued_event().has_value());
    EXPECT_EQ(*guest.wait_event(), (WatchEvent{"data/again", "t"}));
}

TEST_F(StoreSocketTest, WithStoreActsAsControlDomain) {
    service->with_store([](Store& s) { ASSERT_TRUE(s.add_device(1, "vif", 0).ok()); });
    auto c = client();
    EXPECT_EQ(*c.read("/local/domain/0/backend/vif/1/0/frontend"), "/local/domain/1/device/vif/0");
}

TEST_F(StoreSocketTest, CliWriteReadLsRm) {
    std::string out, err;
    EXPECT_EQ(cli({"write", "/cli/a", "hello world"}), 0);
    EXPECT_EQ(cli({"write", "/cli/b", "x\"y"}), 0);
    EXPECT_EQ(cli({"read", "/cli/a"}, &out), 0);
    EXPECT_EQ(out, "hello world\n");
    EXPECT_EQ(cli({"ls", "/cli"}, &out), 0);
    EXPECT_EQ(out, "a = \"hello world\"\nb = \"x\\\"y\"\n");
    EXPECT_EQ(cli({"rm", "/cli"}), 0);
    EXPECT_EQ(cli({"read", "/cli/a"}, &out, &err), 1);
    EXPECT_EQ(err, "pvisor store: read /cli/a: ENOENT\n");
    EXPECT_EQ(cli({"rm", "/"}, &out, &err), 1);
    EXPECT_EQ(err, "pvisor store: rm /: EINVAL\n");
}

TEST_F(StoreSocketTest, CliStatsCountsRequestsAndBrokenPeers) {
    auto c = client();
    ASSERT_TRUE(c.write("/s", "1").ok());
    EXPECT_EQ(c.read("/nope").error(), XsErr::enoent);
    iface()->req_prod = 5000; // a hostile guest index
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(guest_fd.get(), &one, sizeof one), 8);
    ASSERT_TRUE(wait_readable(notify_fd.get())); // the ring was served (and marked broken)
    std::string out;
    EXPECT_EQ(cli({"stats"}, &out), 0);
    EXPECT_NE(out.find("\nrequests 2\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nerrors 1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\npeers_broken 1\n"), std::string::npos) << out;
    EXPECT_EQ(iface()->error, XENSTORE_ERROR_RINGIDX);
    EXPECT_EQ(service->stats().ring.broken, 1U);
}

TEST_F(StoreSocketTest, CliUsageAndConnectionErrors) {
    std::string out, err;
    EXPECT_EQ(cli({"--help"}, &out), 0);
    EXPECT_NE(out.find("usage: pvisor store"), std::string::npos);
    EXPECT_EQ(cli({"frobnicate", "/x"}, &out, &err), 2);
    EXPECT_NE(err.find("unknown operation"), std::string::npos);
    EXPECT_EQ(cli({"write", "/x"}, &out, &err), 2);
    EXPECT_EQ(cli({"read", "/x", "--count"}, &out, &err), 2);
    std::vector<std::string> args{"store", "read", "--control", dir + "/nowhere", "/x"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    EXPECT_EQ(store_command_main(5, argv.data()), 1);
}

TEST_F(StoreSocketTest, CliWatchPrintsEventsUntilCount) {
    std::string out;
    EXPECT_EQ(cli({"watch", "--count", "1", "/w"}, &out), 0);
    EXPECT_EQ(out, "/w\n");
    // With a writer running until the watcher has seen two events.
    std::atomic<bool> done{false};
    std::thread writer([&] {
        auto c = client();
        for (int i = 0; i < 2000 && !done.load(); ++i) {
            ASSERT_TRUE(c.write("/w/child", std::to_string(i)).ok());
            ::usleep(2000);
        }
    });
    const int rc = cli({"watch", "--count", "2", "/w"}, &out);
    done = true;
    writer.join();
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(out, "/w\n/w/child\n");
}

} // namespace
} // namespace pvisor::store

namespace pvisor::store {
namespace {

TEST(StoreRingPage, ComesFromTheSpecialPagesOfGuestMemory) {
    auto mem = GuestMemory::create(16 << 20, PV_SPECIAL_PAGES_GPA, PV_SPECIAL_PAGES_COUNT);
    ASSERT_TRUE(mem.ok());
    auto page = store_ring_page(*mem);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->size(), kPageSize);
    StoreConfig cfg;
    cfg.ring_page = *page;
    cfg.store_evtchn = 9;
    auto svc = StoreService::create(std::move(cfg));
    ASSERT_TRUE(svc.ok());
    auto port = mem->read_obj<std::uint32_t>(PV_SPECIAL_PAGES_GPA +
                                             offsetof(xenstore_domain_interface, evtchn_port));
    ASSERT_TRUE(port.ok());
    EXPECT_EQ(*port, 9U);
    auto none = GuestMemory::create(16 << 20);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(store_ring_page(*none).ok());
}

} // namespace
} // namespace pvisor::store
