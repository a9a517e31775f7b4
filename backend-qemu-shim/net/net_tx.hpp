// net_tx.hpp: guest transmit: tx ring slots -> validated packets -> io_uring writes to the port.
#pragma once

#include "grant_table_view.hpp"
#include "net_back_ring.hpp"
#include "net_counters.hpp"
#include "net_tx_packet.hpp"
#include "uring_engine.hpp"

#include <array>
#include <sys/uio.h>
#include <vector>

namespace pvisor::backend {

// Owns the tx ring of one queue. Each packet is copied out of the ring once, validated
// (pv/netif.h slot rules), its pieces pinned, its first kHeadCopy bytes copied privately (the
// headers are parsed from that copy only) and the rest written straight from the pinned
// guest pages. The pins live until the write completes; then every slot is answered.
class NetTxPath {
  public:
    static constexpr std::uint64_t kTagBase = 1ULL << 32; // io_uring tags kTagBase | slot
    static constexpr std::uint32_t kInFlight = 64;        // packets written concurrently
    static constexpr std::uint32_t kHeadCopy = 256;       // bytes parsed from a private copy

    NetTxPath(NetBackRing ring, GrantTableView& grants, NetCounters& counters, NetOffer offer);

    // Copies and starts packets while a slot and an SQ entry are free. Returns false if the
    // frontend broke the protocol (reason in broken_reason(); the ring is not served again).
    [[nodiscard]] bool consume(UringEngine& engine);
    // A write completed (res: bytes written or -errno): answers the packet's slots.
    void complete(std::uint32_t slot, int res);

    [[nodiscard]] bool idle() const noexcept { return m_free.size() == m_slots.size(); }
    [[nodiscard]] bool full() const noexcept { return m_free.empty(); }
    [[nodiscard]] const char* broken_reason() const noexcept { return m_broken; }
    [[nodiscard]] NetBackRing& ring() noexcept { return m_ring; }

  private:
    struct InFlight {
        std::array<std::uint16_t, kNetFatalDataSlots> ids{};
        std::uint32_t nr_ids = 0;
        std::uint32_t nr_extras = 0;
        std::uint32_t bytes = 0; // vnet header + frame
        VnetHdr hdr{};
        std::array<std::byte, kHeadCopy> head{};
        std::array<iovec, 2 + kNetMaxDataSlots> iov{};
        std::uint32_t nr_iov = 0;
        std::vector<GrantPin> pins; // released once the write completed
    };

    [[nodiscard]] bool collect(NetTxChain& c);
    [[nodiscard]] bool take_slot(netif_tx_request& out);
    void start(const NetTxChain& c, UringEngine& engine);
    [[nodiscard]] bool pin_pieces(const NetTxPacket& p, InFlight& f);
    void build_iov(const NetTxPacket& p, InFlight& f, std::uint32_t head_len);
    void drop(const NetTxChain& c, NetInvalid why);
    void respond(const std::uint16_t* ids, std::uint32_t nr_ids, std::uint32_t nr_extras,
                 std::int16_t status);
    bool fail(const char* why) {
        m_broken = why;
        return false;
    }

    NetBackRing m_ring;
    GrantTableView* m_grants; // not owned; outlives the path
    NetCounters* m_counters;  // not owned; outlives the path
    NetOffer m_offer;
    std::vector<InFlight> m_slots;
    std::vector<std::uint32_t> m_free;
    const char* m_broken = nullptr;
};

} // namespace pvisor::backend
