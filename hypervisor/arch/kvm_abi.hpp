// kvm_abi.hpp: KVM ioctls whose structs end in __DECLARE_FLEX_ARRAY. In C++ that macro's empty
// struct has size 1, which changes both sizeof (and so the ioctl number) and the offset of the
// array; these helpers use the kernel's C layout: an 8-byte header, then the entries.
#pragma once

#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace pvisor::kvm {

struct FlexHeader {
    std::uint32_t count;
    std::uint32_t pad;
};
static_assert(sizeof(FlexHeader) == 8);

inline constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, FlexHeader);
inline constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, FlexHeader);
inline constexpr unsigned long kGetMsrs = _IOWR(KVMIO, 0x88, FlexHeader);
inline constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, FlexHeader);
// struct kvm_irq_routing: u32 nr, u32 flags, then kvm_irq_routing_entry[].
inline constexpr unsigned long kSetGsiRouting = _IOW(KVMIO, 0x6a, FlexHeader);

// An 8-byte header followed by `n` entries of T, as the kernel lays it out.
template <typename T>
class FlexBuffer {
  public:
    explicit FlexBuffer(std::size_t n) : m_buf(sizeof(FlexHeader) / 8 + (n * sizeof(T) + 7) / 8) {
        FlexHeader h{static_cast<std::uint32_t>(n), 0};
        std::memcpy(m_buf.data(), &h, sizeof h);
    }
    [[nodiscard]] void* data() { return m_buf.data(); }
    [[nodiscard]] std::uint32_t count() const {
        FlexHeader h;
        std::memcpy(&h, m_buf.data(), sizeof h);
        return h.count;
    }
    [[nodiscard]] T* entries() { return reinterpret_cast<T*>(m_buf.data() + 1); }

  private:
    std::vector<std::uint64_t> m_buf; // 8-byte aligned storage
};

} // namespace pvisor::kvm
