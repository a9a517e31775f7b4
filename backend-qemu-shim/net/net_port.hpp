// net_port.hpp: the host side of a queue: a packet fd carrying a virtio-net header per frame.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <memory>
#include <utility>

namespace pvisor::backend {

// Every read and write on a port's fd is one Ethernet frame preceded by this header: the
// virtio-net header in its 12-byte virtio 1.0 form (struct virtio_net_hdr_mrg_rxbuf; the
// kernel's <linux/virtio_net.h> is not valid C++, so the layout is restated here),
// little-endian, num_buffers ignored in both directions.
struct VnetHdr {
    std::uint8_t flags;        // VIRTIO_NET_HDR_F_*
    std::uint8_t gso_type;     // VIRTIO_NET_HDR_GSO_*
    std::uint16_t hdr_len;     // GSO: bytes of headers (Ethernet .. TCP)
    std::uint16_t gso_size;    // GSO: payload bytes per segment
    std::uint16_t csum_start;  // NEEDS_CSUM: checksum coverage starts here
    std::uint16_t csum_offset; // NEEDS_CSUM: the field, relative to csum_start
    std::uint16_t num_buffers;
};
inline constexpr std::uint32_t kVnetHdrLen = sizeof(VnetHdr);
static_assert(kVnetHdrLen == 12);
inline constexpr std::uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
inline constexpr std::uint8_t VIRTIO_NET_HDR_F_DATA_VALID = 2;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV6 = 4;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

// What the reader of a port (the backend) accepts from the host in rx frames: partial
// checksums and TSO. The host completes/segments whatever is not accepted.
struct NetOffloads {
    bool csum = false;
    bool tso4 = false;
    bool tso6 = false;
};

// A packet device one queue reads and writes through io_uring: a TAP queue in production, one
// end of a SOCK_SEQPACKET socketpair in tests. The fd preserves frame boundaries.
class NetPort {
  public:
    NetPort() = default;
    NetPort(const NetPort&) = delete;
    NetPort& operator=(const NetPort&) = delete;
    virtual ~NetPort() = default;

    [[nodiscard]] virtual int fd() const noexcept = 0;
    // Tells the host which offloads rx frames may carry.
    [[nodiscard]] virtual Status set_offloads(const NetOffloads& o) = 0;
    // Whether the host sends frames to this queue: a multi-queue TAP spreads flows over its
    // attached queues, so queues the frontend did not take are turned off. Default: no-op.
    [[nodiscard]] virtual Status set_enabled(bool /*on*/) { return {}; }
};

// A port owned elsewhere: pvisor-netback keeps an interface's TAP queues open across frontend
// reconnects and lends them to each NetBackend. The owner outlives the borrower.
class BorrowedPort final : public NetPort {
  public:
    explicit BorrowedPort(NetPort& port) : m_port(&port) {}
    [[nodiscard]] int fd() const noexcept override { return m_port->fd(); }
    [[nodiscard]] Status set_offloads(const NetOffloads& o) override {
        return m_port->set_offloads(o);
    }

  private:
    NetPort* m_port; // not owned
};

// One end of a socketpair; the other end (peer) plays the host network in tests and benches.
class SocketPort final : public NetPort {
  public:
    // Returns the port and the peer's fd.
    static Result<std::pair<std::unique_ptr<SocketPort>, UniqueFd>> create();

    [[nodiscard]] int fd() const noexcept override { return m_fd.get(); }
    [[nodiscard]] Status set_offloads(const NetOffloads& o) override;
    [[nodiscard]] const NetOffloads& offloads() const noexcept { return m_offloads; }

  private:
    explicit SocketPort(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
    NetOffloads m_offloads;
};

} // namespace pvisor::backend
