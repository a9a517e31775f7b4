// guest_access.hpp: copies through guest virtual handles, page by page, bounds-checked.
#pragma once

#include "platform.hpp"

#include <cstdint>
#include <type_traits>

namespace pvisor {

// Largest single copy a hypercall may request through a handle.
inline constexpr std::uint64_t kMaxHandleCopy = 64 * 1024;

// Each page of [gva, gva+len) is translated through the vCPU's page tables, then through
// GuestMemory's bounds check. Errc::bad_address (-EFAULT) if any page fails.
[[nodiscard]] Status copy_from_guest(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva,
                                     void* dst, std::uint64_t len);
[[nodiscard]] Status copy_to_guest(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva,
                                   const void* src, std::uint64_t len);

template <typename T>
[[nodiscard]] Result<T> read_guest(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva) {
    static_assert(std::is_trivially_copyable_v<T>);
    T v{};
    PV_TRY(copy_from_guest(vcpu, mem, gva, &v, sizeof v));
    return v;
}

template <typename T>
[[nodiscard]] Status write_guest(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva,
                                 const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return copy_to_guest(vcpu, mem, gva, &v, sizeof v);
}

} // namespace pvisor
