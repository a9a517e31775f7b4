// pin_journal.hpp: the backend's record, shared with pvisor, of the grant flags it holds.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pv/grant_table.h>
#include <sys/mman.h>
#include <sys/stat.h>

namespace pvisor::backend {

// The pin journal pvisor hands out on the control socket (PIN_JOURNAL; layout and protocol in
// control_wire.hpp): per grant ref, one bit for GTF_reading and one for GTF_writing held by
// this backend. GrantTableView sets a bit before the cmpxchg that sets the flag in the guest's
// entry and clears it after clearing the flag, so if this process dies at any point the
// journal names every flag it still holds, and pvisor clears them. Thread-safe (atomic
// RMW on the shared words); the callers serialize per ref.
class PinJournal {
  public:
    static constexpr std::uint32_t kBitsPerRef = 2;
    static constexpr std::uint32_t kRefsPerWord = 64 / kBitsPerRef;

    // Bytes a journal for nr_entries refs needs (whole u64 words).
    [[nodiscard]] static constexpr std::size_t bytes_for(std::uint32_t nr_entries) noexcept {
        return ((static_cast<std::size_t>(nr_entries) + kRefsPerWord - 1) / kRefsPerWord) *
               sizeof(std::uint64_t);
    }
    // Maps the journal memfd for nr_entries refs. Errc::invalid_argument: nr_entries is 0 or
    // beyond the largest grant table, or the memfd is smaller than bytes_for(nr_entries).
    // Header-only, so that ControlClient users need not link the backend library.
    static Result<PinJournal> map(UniqueFd fd, std::uint32_t nr_entries) {
        if (!fd.valid() || nr_entries == 0 ||
            nr_entries > PV_GNTTAB_MAX_FRAMES * PV_GNTTAB_ENTRIES_PER_FRAME)
            return Errc::invalid_argument;
        const std::size_t bytes = bytes_for(nr_entries);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0)
            return Errc::system_error;
        if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) < bytes)
            return Errc::invalid_argument;
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
        if (p == MAP_FAILED)
            return Errc::system_error;
        return PinJournal(Mapping(p, bytes), nr_entries); // the fd closes; the mapping stays
    }

    [[nodiscard]] std::uint32_t nr_entries() const noexcept { return m_entries; }

    // Before setting `writing ? GTF_writing : GTF_reading` in entry ref (ref < nr_entries()).
    void mark(pv_grant_ref ref, bool writing) noexcept {
        word(ref).fetch_or(mask(ref, writing), std::memory_order_seq_cst);
    }
    // After that flag was cleared in the entry (or was never set).
    void clear(pv_grant_ref ref, bool writing) noexcept {
        word(ref).fetch_and(~mask(ref, writing), std::memory_order_seq_cst);
    }
    [[nodiscard]] bool held(pv_grant_ref ref, bool writing) const noexcept {
        return (word(ref).load(std::memory_order_acquire) & mask(ref, writing)) != 0;
    }

  private:
    PinJournal(Mapping map, std::uint32_t entries) : m_map(std::move(map)), m_entries(entries) {}
    static std::uint64_t mask(pv_grant_ref ref, bool writing) noexcept {
        return std::uint64_t{1} << ((ref % kRefsPerWord) * kBitsPerRef + (writing ? 1 : 0));
    }
    [[nodiscard]] std::atomic_ref<std::uint64_t> word(pv_grant_ref ref) const noexcept {
        // SAFETY: ref < m_entries (callers range-check refs against the grant table, which is
        // no larger); the word is 8-byte aligned in the MAP_SHARED mapping pvisor also reads.
        return std::atomic_ref<std::uint64_t>(
            reinterpret_cast<std::uint64_t*>(m_map.bytes())[ref / kRefsPerWord]);
    }

    Mapping m_map; // bytes_for(m_entries) bytes of the journal memfd (the fd is closed)
    std::uint32_t m_entries;
};

} // namespace pvisor::backend
