// host_pin_journal.cpp: the pin journal's memfd and the release of a gone backend's grant flags.
#include "host_pin_journal.hpp"

#include <atomic>
#include <bit>
#include <fcntl.h>
#include <sys/mman.h>

namespace pvisor {

namespace {

using ctl::kPinJournalBitsPerRef;
using ctl::kPinJournalBytes;
using ctl::kPinJournalEntries;
using ctl::kPinJournalRefsPerWord;

constexpr std::uint32_t kWords = kPinJournalEntries / kPinJournalRefsPerWord;

// Bit 0 of a ref's pair: GTF_reading; bit 1: GTF_writing.
std::uint32_t bit_of(pv_grant_ref ref, std::uint16_t flag) {
    return (ref % kPinJournalRefsPerWord) * kPinJournalBitsPerRef + (flag == GTF_writing ? 1 : 0);
}

} // namespace

Result<HostPinJournal> HostPinJournal::create() {
    UniqueFd fd(::memfd_create("pvisor-pin-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd.valid())
        return Errc::system_error;
    if (::ftruncate(fd.get(), static_cast<off_t>(kPinJournalBytes)) != 0 ||
        ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
        return Errc::system_error;
    void* p = ::mmap(nullptr, kPinJournalBytes, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED)
        return Errc::system_error;
    return HostPinJournal(std::move(fd), Mapping(p, kPinJournalBytes));
}

std::uint64_t HostPinJournal::word(std::uint32_t i) const noexcept {
    // SAFETY: i < kWords; 8-byte aligned words of a page-aligned mapping that the backend
    // updates with atomic RMW instructions.
    auto* w = reinterpret_cast<std::uint64_t*>(m_map.bytes()) + i;
    return std::atomic_ref<std::uint64_t>(*w).load(std::memory_order_acquire);
}

bool HostPinJournal::names(pv_grant_ref ref, std::uint16_t flag) const noexcept {
    if (ref >= kPinJournalEntries)
        return false;
    return ((word(ref / kPinJournalRefsPerWord) >> bit_of(ref, flag)) & 1U) != 0;
}

PinRelease HostPinJournal::release(std::span<const HostPinJournal* const> live,
                                   std::span<const std::uint64_t> frame_gpas,
                                   const GuestMemory& mem) const {
    PinRelease out;
    const std::uint64_t nr_refs =
        static_cast<std::uint64_t>(frame_gpas.size()) * PV_GNTTAB_ENTRIES_PER_FRAME;
    for (std::uint32_t w = 0; w < kWords; ++w) {
        std::uint64_t bits = word(w);
        while (bits != 0) {
            const auto b = static_cast<std::uint32_t>(std::countr_zero(bits));
            bits &= bits - 1;
            const pv_grant_ref ref = w * kPinJournalRefsPerWord + b / kPinJournalBitsPerRef;
            const auto flag = static_cast<std::uint16_t>((b & 1U) != 0 ? GTF_writing : GTF_reading);
            if (ref < PV_GNTTAB_NR_RESERVED || ref >= nr_refs) {
                ++out.bad_ref;
                continue;
            }
            bool held_elsewhere = false;
            for (const HostPinJournal* j : live)
                held_elsewhere = held_elsewhere || (j != this && j->names(ref, flag));
            if (held_elsewhere) {
                ++out.shared;
                continue;
            }
            const std::uint64_t gpa = frame_gpas[ref / PV_GNTTAB_ENTRIES_PER_FRAME] +
                                      (ref % PV_GNTTAB_ENTRIES_PER_FRAME) * sizeof(grant_entry_v1);
            auto e = mem.translate(gpa, sizeof(grant_entry_v1));
            if (!e.ok()) {
                ++out.bad_ref;
                continue;
            }
            // SAFETY: an 8-byte aligned entry inside a RAM page of the guest mapping; word 0 is
            // flags | domid << 16, which the guest changes only with locked instructions. One
            // atomic AND clears the flag whatever the guest does to the other bits meanwhile.
            auto combo =
                std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(e->data()));
            const std::uint32_t old =
                combo.fetch_and(~static_cast<std::uint32_t>(flag), std::memory_order_acq_rel);
            ++((old & flag) != 0 ? out.released : out.stale);
        }
    }
    return out;
}

} // namespace pvisor
