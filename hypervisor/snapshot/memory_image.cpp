// memory_image.cpp: sparse guest memory records over the memfd's data extents.
#include "memory_image.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pvisor::snapshot {
namespace {

bool all_zero(const std::byte* p) {
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < kPageSize; i += 8) {
        std::uint64_t v = 0;
        std::memcpy(&v, p + i, 8);
        acc |= v;
    }
    return acc == 0;
}

// Accumulates consecutive pages into one record of up to kMaxPagesPerRecord.
class RunWriter {
  public:
    RunWriter(StreamWriter& w, MemoryStats& stats) : m_w(w), m_stats(stats) {}
    Status add(std::uint64_t gpa, const std::byte* host) {
        if (m_count > 0 && (gpa != m_gpa + m_count * kPageSize || host != m_host + m_count * kPageSize ||
                            m_count == kMaxPagesPerRecord))
            PV_TRY(flush());
        if (m_count == 0) {
            m_gpa = gpa;
            m_host = host;
        }
        ++m_count;
        return {};
    }
    Status flush() {
        if (m_count == 0)
            return {};
        const MemoryRunHeader h{m_gpa, m_count, 0};
        PV_TRY(m_w.record(RecordType::memory, true,
                          {std::as_bytes(std::span(&h, 1)),
                           std::span<const std::byte>(m_host, m_count * kPageSize)}));
        m_stats.pages_written += m_count;
        ++m_stats.records;
        m_count = 0;
        return {};
    }

  private:
    StreamWriter& m_w;
    MemoryStats& m_stats;
    std::uint64_t m_gpa = 0;
    const std::byte* m_host = nullptr;
    std::uint32_t m_count = 0;
};

} // namespace

Result<MemoryStats> write_memory(StreamWriter& w, const GuestMemory& mem,
                                 const std::function<bool(std::uint64_t)>& skip) {
    MemoryStats stats;
    RunWriter run(w, stats);
    const int fd = mem.memfd();
    for (const GuestRegion& r : mem.regions()) {
        const auto begin = static_cast<off_t>(r.memfd_offset);
        const auto end = static_cast<off_t>(r.memfd_offset + r.size);
        off_t at = begin;
        while (at < end) {
            off_t data = ::lseek(fd, at, SEEK_DATA);
            if (data < 0 && errno == ENXIO)
                break; // no data from here to the end of the file
            if (data < 0)
                return Errc::system_error;
            if (data >= end)
                break;
            off_t hole = ::lseek(fd, data, SEEK_HOLE);
            if (hole < 0)
                return Errc::system_error;
            hole = std::min(hole, end);
            data -= data % static_cast<off_t>(kPageSize);
            for (off_t off = data; off < hole; off += static_cast<off_t>(kPageSize)) {
                const std::uint64_t gpa = r.gpa + static_cast<std::uint64_t>(off - begin);
                const std::byte* host = r.host + (off - begin);
                if (r.is_ram && skip && skip(gpa >> kPageShift)) {
                    ++stats.pages_skipped;
                    continue;
                }
                if (all_zero(host)) {
                    ++stats.pages_zero;
                    continue;
                }
                PV_TRY(run.add(gpa, host));
            }
            at = hole;
        }
        PV_TRY(run.flush()); // a run never crosses regions
    }
    return stats;
}

BasicStatus<StreamErr> load_memory_record(const Record& r, const GuestMemory& mem,
                                          std::string& why) {
    const std::string at = "record " + std::to_string(r.index) + " (memory) at byte " +
                           std::to_string(r.offset) + ": ";
    MemoryRunHeader h{};
    if (r.payload.size() < sizeof h) {
        why = at + "payload of " + std::to_string(r.payload.size()) + " bytes has no run header";
        return StreamErr::bad_payload;
    }
    std::memcpy(&h, r.payload.data(), sizeof h);
    if (h.count == 0 || h.count > kMaxPagesPerRecord || h.gpa % kPageSize != 0 ||
        r.payload.size() != sizeof h + std::uint64_t{h.count} * kPageSize) {
        why = at + "run of " + std::to_string(h.count) + " pages at gpa " + std::to_string(h.gpa) +
              " does not match its " + std::to_string(r.payload.size()) + " bytes";
        return StreamErr::bad_payload;
    }
    auto dst = mem.translate(h.gpa, std::uint64_t{h.count} * kPageSize);
    if (!dst.ok()) {
        why = at + "run of " + std::to_string(h.count) + " pages at gpa " + std::to_string(h.gpa) +
              " is not inside guest memory";
        return StreamErr::bad_payload;
    }
    std::memcpy(dst->data(), r.payload.data() + sizeof h, dst->size());
    return {};
}

} // namespace pvisor::snapshot
