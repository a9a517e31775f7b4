// guest_memory.cpp: memfd-backed guest RAM and its bounds-checked translation.
#include "guest_memory.hpp"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>

namespace pvisor {

namespace {

bool valid_layout(std::uint64_t ram_bytes, std::uint64_t extra_gpa, std::uint64_t extra_pages) {
    if (ram_bytes == 0 || ram_bytes % kPageSize != 0)
        return false;
    return extra_pages == 0 || (extra_gpa % kPageSize == 0 && extra_gpa >= kMmioHoleStart &&
                                extra_gpa + extra_pages * kPageSize <= kFourGiB);
}

} // namespace

Result<GuestMemory> GuestMemory::create(std::uint64_t ram_bytes, std::uint64_t extra_gpa,
                                        std::uint64_t extra_pages) {
    if (!valid_layout(ram_bytes, extra_gpa, extra_pages))
        return Errc::invalid_argument;
    UniqueFd fd(::memfd_create("pvisor-guest-ram", MFD_CLOEXEC));
    if (!fd.valid())
        return Errc::system_error;
    if (::ftruncate(fd.get(), static_cast<off_t>(ram_bytes + extra_pages * kPageSize)) != 0)
        return Errc::no_memory;
    return from_memfd(std::move(fd), ram_bytes, extra_gpa, extra_pages);
}

Result<GuestMemory> GuestMemory::from_memfd(UniqueFd memfd, std::uint64_t ram_bytes,
                                            std::uint64_t extra_gpa, std::uint64_t extra_pages) {
    if (!valid_layout(ram_bytes, extra_gpa, extra_pages) || !memfd.valid())
        return Errc::invalid_argument;
    const std::uint64_t total = ram_bytes + extra_pages * kPageSize;
    struct stat st {};
    if (::fstat(memfd.get(), &st) != 0 || st.st_size < 0 ||
        static_cast<std::uint64_t>(st.st_size) < total)
        return Errc::invalid_argument;

    GuestMemory mem;
    mem.m_memfd = std::move(memfd);
    void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                     mem.m_memfd.get(), 0);
    if (p == MAP_FAILED)
        return Errc::no_memory;
    mem.m_mapping = Mapping(p, total);
    mem.m_ram_bytes = ram_bytes;

    std::byte* base = mem.m_mapping.bytes();
    const std::uint64_t low = ram_bytes < kMmioHoleStart ? ram_bytes : kMmioHoleStart;
    mem.m_regions.push_back({0, low, 0, base, true});
    if (ram_bytes > low)
        mem.m_regions.push_back({kFourGiB, ram_bytes - low, low, base + low, true});
    if (extra_pages > 0)
        mem.m_regions.push_back(
            {extra_gpa, extra_pages * kPageSize, ram_bytes, base + ram_bytes, false});
    return mem;
}

const GuestRegion* GuestMemory::find(std::uint64_t gpa) const {
    for (const GuestRegion& r : m_regions) {
        if (gpa >= r.gpa && gpa - r.gpa < r.size)
            return &r;
    }
    return nullptr;
}

Result<std::span<std::byte>> GuestMemory::translate(std::uint64_t gpa, std::uint64_t len) const {
    const GuestRegion* r = find(gpa);
    if (r == nullptr)
        return Errc::bad_address;
    const std::uint64_t off = gpa - r->gpa;
    // off < r->size holds, so r->size - off cannot underflow.
    if (len > r->size - off)
        return Errc::bad_address;
    return std::span<std::byte>(r->host + off, static_cast<std::size_t>(len));
}

Status GuestMemory::read(std::uint64_t gpa, void* dst, std::uint64_t len) const {
    PV_TRY_ASSIGN(span, translate(gpa, len));
    std::memcpy(dst, span.data(), span.size());
    return {};
}

Status GuestMemory::write(std::uint64_t gpa, const void* src, std::uint64_t len) const {
    PV_TRY_ASSIGN(span, translate(gpa, len));
    std::memcpy(span.data(), src, span.size());
    return {};
}

bool GuestMemory::is_ram_frame(std::uint64_t gfn) const {
    if (gfn > (UINT64_MAX >> kPageShift))
        return false;
    const GuestRegion* r = find(gfn << kPageShift);
    return r != nullptr && r->is_ram;
}

Status GuestMemory::discard_frame(std::uint64_t gfn) const {
    if (!is_ram_frame(gfn))
        return Errc::bad_address;
    const std::uint64_t gpa = gfn << kPageShift;
    const GuestRegion* r = find(gpa);
    const std::uint64_t off = r->memfd_offset + (gpa - r->gpa);
    if (::fallocate(m_memfd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    static_cast<off_t>(off), static_cast<off_t>(kPageSize)) != 0)
        return Errc::system_error;
    return {};
}

} // namespace pvisor
