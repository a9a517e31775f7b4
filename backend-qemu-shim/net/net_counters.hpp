// net_counters.hpp: per-interface counters (packets, bytes, drops, invalid requests by reason).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pvisor::backend {

// Why a frontend request was refused; each reason has its own per-interface counter.
enum class NetInvalid : std::uint8_t {
    tx_too_many_slots, // 19..PV_NETIF_FATAL_TX_SLOTS data slots in one packet
    tx_crosses_page,   // offset + piece length > 4096
    tx_bad_size,       // total < ETH_HLEN, pieces larger than the total, or an empty piece
    tx_bad_extra,      // extra info of an unknown/rx-only/repeated type, or a bad GSO extra
    tx_not_negotiated, // GSO or IPv6 checksum offload the backend did not offer
    tx_bad_checksum,   // csum_blank (or GSO) on headers the backend cannot locate
    tx_bad_grant,      // a piece's grant refused (the grant table counts the reason)
    rx_bad_grant,      // a posted rx page's grant refused: that packet is dropped
    count_,
};
inline constexpr std::size_t kNetInvalidCount = static_cast<std::size_t>(NetInvalid::count_);
[[nodiscard]] const char* net_invalid_name(NetInvalid r) noexcept;

// Updated by every queue (relaxed atomics), read by the host at any time.
struct NetCounters {
    std::atomic<std::uint64_t> tx_packets{0}; // written to the host side
    std::atomic<std::uint64_t> tx_bytes{0};   // Ethernet bytes of those packets
    std::atomic<std::uint64_t> tx_dropped{0}; // invalid packets (answered NETIF_RSP_ERROR)
    std::atomic<std::uint64_t> tx_errors{0};  // the host refused the write (NETIF_RSP_ERROR)
    std::atomic<std::uint64_t> rx_packets{0}; // copied into the guest's pages
    std::atomic<std::uint64_t> rx_bytes{0};
    std::atomic<std::uint64_t> rx_dropped{0};     // host frames the guest could not be given
    std::atomic<std::uint64_t> rx_sw_csum{0};     // rx checksums completed in software
    std::atomic<std::uint64_t> rx_read_errors{0}; // failed port reads (that buffer is retired)
    std::atomic<std::uint64_t> rings_broken{0};
    std::array<std::atomic<std::uint64_t>, kNetInvalidCount> invalid{};

    void count(NetInvalid r) noexcept {
        invalid[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t invalid_count(NetInvalid r) const noexcept {
        return invalid[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t invalid_total() const noexcept;
    // Adds every counter of `o` (e.g. a finished connection's) into this one.
    void add(const NetCounters& o) noexcept;
    // "name value" lines (invalid requests as "invalid.<reason>"), for the host CLI.
    [[nodiscard]] std::string format() const;
};

} // namespace pvisor::backend
