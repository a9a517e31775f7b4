// blk_counters.cpp: totals and the text form of the per-disk counters.
#include "blk_counters.hpp"

namespace pvisor::backend {

std::uint64_t BlkCounters::invalid_total() const noexcept {
    std::uint64_t n = 0;
    for (const auto& c : invalid)
        n += c.load(std::memory_order_relaxed);
    return n;
}

void BlkCounters::add(const BlkCounters& o) noexcept {
    const auto sum = [](std::atomic<std::uint64_t>& to, const std::atomic<std::uint64_t>& from) {
        to.fetch_add(from.load(std::memory_order_relaxed), std::memory_order_relaxed);
    };
    sum(requests, o.requests);
    sum(bytes_read, o.bytes_read);
    sum(bytes_written, o.bytes_written);
    sum(flushes, o.flushes);
    sum(discards, o.discards);
    sum(io_errors, o.io_errors);
    sum(rings_broken, o.rings_broken);
    for (std::size_t i = 0; i < kBlkInvalidCount; ++i)
        sum(invalid[i], o.invalid[i]);
}

std::string BlkCounters::format() const {
    std::string out;
    auto line = [&out](const std::string& name, std::uint64_t v) {
        out += name + ' ' + std::to_string(v) + '\n';
    };
    line("requests", requests.load());
    line("bytes_read", bytes_read.load());
    line("bytes_written", bytes_written.load());
    line("flushes", flushes.load());
    line("discards", discards.load());
    line("io_errors", io_errors.load());
    line("rings_broken", rings_broken.load());
    line("invalid", invalid_total());
    for (std::size_t i = 0; i < kBlkInvalidCount; ++i)
        line(std::string("invalid.") + blk_invalid_name(static_cast<BlkInvalid>(i)),
             invalid[i].load());
    return out;
}

} // namespace pvisor::backend
