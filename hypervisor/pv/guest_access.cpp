// guest_access.cpp: page-wise GVA -> GPA -> host copies for hypercall arguments.
#include "guest_access.hpp"

#include <algorithm>
#include <cstring>

namespace pvisor {

namespace {
template <typename Fn>
Status for_each_page(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva,
                     std::uint64_t len, bool write, Fn&& fn) {
    if (len > kMaxHandleCopy || gva + len < gva)
        return Errc::bad_address;
    std::uint64_t done = 0;
    while (done < len) {
        const std::uint64_t va = gva + done;
        const std::uint64_t chunk = std::min(len - done, kPageSize - (va % kPageSize));
        PV_TRY_ASSIGN(gpa, vcpu.translate_gva(va, write));
        PV_TRY_ASSIGN(span, mem.translate(gpa, chunk));
        fn(span, done);
        done += chunk;
    }
    return {};
}
} // namespace

Status copy_from_guest(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva, void* dst,
                       std::uint64_t len) {
    auto* out = static_cast<std::byte*>(dst);
    return for_each_page(vcpu, mem, gva, len, false, [&](std::span<std::byte> s, std::uint64_t at) {
        std::memcpy(out + at, s.data(), s.size());
    });
}

Status copy_to_guest(VcpuAccess& vcpu, const GuestMemory& mem, std::uint64_t gva,
                     const void* src, std::uint64_t len) {
    const auto* in = static_cast<const std::byte*>(src);
    return for_each_page(vcpu, mem, gva, len, true, [&](std::span<std::byte> s, std::uint64_t at) {
        std::memcpy(s.data(), in + at, s.size());
    });
}

} // namespace pvisor
