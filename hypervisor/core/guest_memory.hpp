// guest_memory.hpp: guest RAM in one memfd, and the single bounds-checked GPA translation.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

namespace pvisor {

inline constexpr std::uint64_t kPageSize = 4096;
inline constexpr std::uint64_t kPageShift = 12;
// Guest-physical layout: RAM from 0 up to the PCI/MMIO hole at 3 GiB, the rest above 4 GiB.
inline constexpr std::uint64_t kMmioHoleStart = 0xC000'0000ULL;
inline constexpr std::uint64_t kFourGiB = 0x1'0000'0000ULL;

// One guest-physical range backed by the memfd.
struct GuestRegion {
    std::uint64_t gpa = 0;
    std::uint64_t size = 0;
    std::uint64_t memfd_offset = 0;
    std::byte* host = nullptr; // SAFETY: points into GuestMemory's mapping, lives as long as it
    bool is_ram = true;        // false: pvisor-owned pages (special pages), reserved in e820
};

// Owns guest memory: a memfd (so backends can map it) mapped once into pvisor. Every access
// to guest memory from the host side goes through translate(), which checks that
// [gpa, gpa+len) lies inside one region with overflow-checked arithmetic.
class GuestMemory {
  public:
    // ram_bytes: guest RAM (page multiple); extra_pages: pvisor-owned pages placed at
    // extra_gpa (not RAM; 0 pages for none).
    static Result<GuestMemory> create(std::uint64_t ram_bytes, std::uint64_t extra_gpa = 0,
                                      std::uint64_t extra_pages = 0);
    // Maps an existing guest-RAM memfd (received by a backend process) with the same region
    // table create() builds for the same arguments; fails if the memfd is too small.
    static Result<GuestMemory> from_memfd(UniqueFd memfd, std::uint64_t ram_bytes,
                                          std::uint64_t extra_gpa = 0,
                                          std::uint64_t extra_pages = 0);

    GuestMemory(GuestMemory&&) noexcept = default;
    GuestMemory& operator=(GuestMemory&&) noexcept = default;

    [[nodiscard]] Result<std::span<std::byte>> translate(std::uint64_t gpa, std::uint64_t len) const;
    [[nodiscard]] Status read(std::uint64_t gpa, void* dst, std::uint64_t len) const;
    [[nodiscard]] Status write(std::uint64_t gpa, const void* src, std::uint64_t len) const;

    template <typename T>
    [[nodiscard]] Result<T> read_obj(std::uint64_t gpa) const {
        static_assert(std::is_trivially_copyable_v<T>);
        T v;
        PV_TRY(read(gpa, &v, sizeof v));
        return v;
    }
    template <typename T>
    [[nodiscard]] Status write_obj(std::uint64_t gpa, const T& v) const {
        static_assert(std::is_trivially_copyable_v<T>);
        return write(gpa, &v, sizeof v);
    }

    // True if the frame is guest RAM (not pvisor-owned special pages).
    [[nodiscard]] bool is_ram_frame(std::uint64_t gfn) const;
    // Gives a RAM frame back to the host (fallocate PUNCH_HOLE): it reads as zeros after.
    [[nodiscard]] Status discard_frame(std::uint64_t gfn) const;

    [[nodiscard]] const std::vector<GuestRegion>& regions() const noexcept { return m_regions; }
    [[nodiscard]] int memfd() const noexcept { return m_memfd.get(); }
    [[nodiscard]] std::uint64_t ram_bytes() const noexcept { return m_ram_bytes; }
    [[nodiscard]] std::uint64_t memfd_bytes() const noexcept { return m_mapping.size(); }

  private:
    GuestMemory() = default;
    [[nodiscard]] const GuestRegion* find(std::uint64_t gpa) const;

    // Destruction order: the mapping goes before the memfd it maps.
    UniqueFd m_memfd;
    Mapping m_mapping;
    std::vector<GuestRegion> m_regions;
    std::uint64_t m_ram_bytes = 0;
};

} // namespace pvisor
