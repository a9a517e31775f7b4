// net_counters.cpp: reason names, totals and the text form of the per-interface counters.
#include "net_counters.hpp"

namespace pvisor::backend {

const char* net_invalid_name(NetInvalid r) noexcept {
    switch (r) {
    case NetInvalid::tx_too_many_slots:
        return "tx_too_many_slots";
    case NetInvalid::tx_crosses_page:
        return "tx_crosses_page";
    case NetInvalid::tx_bad_size:
        return "tx_bad_size";
    case NetInvalid::tx_bad_extra:
        return "tx_bad_extra";
    case NetInvalid::tx_not_negotiated:
        return "tx_not_negotiated";
    case NetInvalid::tx_bad_checksum:
        return "tx_bad_checksum";
    case NetInvalid::tx_bad_grant:
        return "tx_bad_grant";
    case NetInvalid::rx_bad_grant:
        return "rx_bad_grant";
    case NetInvalid::count_:
        break;
    }
    return "unknown";
}

std::uint64_t NetCounters::invalid_total() const noexcept {
    std::uint64_t n = 0;
    for (const auto& c : invalid)
        n += c.load(std::memory_order_relaxed);
    return n;
}

std::string NetCounters::format() const {
    std::string out;
    auto line = [&out](const std::string& name, std::uint64_t v) {
        out += name + ' ' + std::to_string(v) + '\n';
    };
    line("tx_packets", tx_packets.load());
    line("tx_bytes", tx_bytes.load());
    line("tx_dropped", tx_dropped.load());
    line("tx_errors", tx_errors.load());
    line("rx_packets", rx_packets.load());
    line("rx_bytes", rx_bytes.load());
    line("rx_dropped", rx_dropped.load());
    line("rx_sw_csum", rx_sw_csum.load());
    line("rx_read_errors", rx_read_errors.load());
    line("rings_broken", rings_broken.load());
    line("invalid", invalid_total());
    for (std::size_t i = 0; i < kNetInvalidCount; ++i)
        line(std::string("invalid.") + net_invalid_name(static_cast<NetInvalid>(i)),
             invalid[i].load());
    return out;
}

} // namespace pvisor::backend
