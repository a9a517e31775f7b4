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

void NetCounters::add(const NetCounters& o) noexcept {
    auto plus = [](std::atomic<std::uint64_t>& to, const std::atomic<std::uint64_t>& from) {
        to.fetch_add(from.load(std::memory_order_relaxed), std::memory_order_relaxed);
    };
    plus(tx_packets, o.tx_packets);
    plus(tx_bytes, o.tx_bytes);
    plus(tx_dropped, o.tx_dropped);
    plus(tx_errors, o.tx_errors);
    plus(rx_packets, o.rx_packets);
    plus(rx_bytes, o.rx_bytes);
    plus(rx_dropped, o.rx_dropped);
    plus(rx_sw_csum, o.rx_sw_csum);
    plus(rx_read_errors, o.rx_read_errors);
    plus(rings_broken, o.rings_broken);
    for (std::size_t i = 0; i < kNetInvalidCount; ++i)
        plus(invalid[i], o.invalid[i]);
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
