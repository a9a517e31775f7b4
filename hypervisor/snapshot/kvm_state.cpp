// kvm_state.cpp: KVM vCPU and VM state through KVM's get/set ioctls.
#include "kvm_state.hpp"

#include "arch/kvm_abi.hpp"

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pvisor::snapshot {
namespace {

// The kernel's sizes for the structs whose C++ view differs (kvm_abi.hpp's reason).
constexpr unsigned long kGetCpuid2 = _IOWR(KVMIO, 0x91, kvm::FlexHeader);
constexpr unsigned long kGetMsrIndexList = _IOWR(KVMIO, 0x02, std::uint32_t);
constexpr unsigned long kGetXsave = _IOR(KVMIO, 0xa4, XsaveArea);
constexpr unsigned long kSetXsave = _IOW(KVMIO, 0xa5, XsaveArea);

constexpr unsigned kMaxCpuidEntries = 256;
constexpr unsigned kMaxMsrs = 1024;
constexpr std::uint32_t kMsrTsc = 0x10;
constexpr std::uint32_t kMsrTscDeadline = 0x6E0;

// KVM_SET_MSRS order: IA32_TSC first, IA32_TSC_DEADLINE last, the rest between.
int msr_rank(std::uint32_t index) { return index == kMsrTsc ? 0 : index == kMsrTscDeadline ? 2 : 1; }

Status failed(std::string& why, const char* what) {
    why = std::string(what) + ": " + std::strerror(errno);
    return Errc::system_error;
}

// Reads `want` MSRs; KVM stops a batch at the first it refuses, which is then left out.
Result<std::vector<kvm_msr_entry>> read_msrs(int fd, const std::vector<std::uint32_t>& want,
                                             std::string& why) {
    std::vector<kvm_msr_entry> out;
    std::size_t at = 0;
    while (at < want.size()) {
        const std::size_t n = want.size() - at;
        kvm::FlexBuffer<kvm_msr_entry> buf(n);
        for (std::size_t i = 0; i < n; ++i) {
            buf.entries()[i] = kvm_msr_entry{};
            buf.entries()[i].index = want[at + i];
        }
        const int got = ::ioctl(fd, kvm::kGetMsrs, buf.data());
        if (got < 0)
            return failed(why, "KVM_GET_MSRS");
        out.insert(out.end(), buf.entries(), buf.entries() + got);
        at += static_cast<std::size_t>(got) + 1; // skip the refused one
    }
    return out;
}

} // namespace

Result<std::vector<std::uint32_t>> msr_index_list(int kvm_fd) {
    std::vector<std::uint32_t> buf(1 + kMaxMsrs);
    buf[0] = kMaxMsrs;
    if (::ioctl(kvm_fd, kGetMsrIndexList, buf.data()) < 0)
        return Errc::system_error;
    std::vector<std::uint32_t> list(buf.begin() + 1, buf.begin() + 1 + buf[0]);
    std::stable_sort(list.begin(), list.end(),
                     [](std::uint32_t a, std::uint32_t b) { return msr_rank(a) < msr_rank(b); });
    return list;
}

void order_msrs(std::vector<kvm_msr_entry>& msrs) {
    std::stable_sort(msrs.begin(), msrs.end(), [](const kvm_msr_entry& a, const kvm_msr_entry& b) {
        return msr_rank(a.index) < msr_rank(b.index);
    });
}

Result<VcpuState> capture_vcpu(int fd, const std::vector<std::uint32_t>& msrs, std::string& why) {
    VcpuState s;
    kvm::FlexBuffer<kvm_cpuid_entry2> cpuid(kMaxCpuidEntries);
    if (::ioctl(fd, kGetCpuid2, cpuid.data()) < 0)
        return failed(why, "KVM_GET_CPUID2");
    s.cpuid.assign(cpuid.entries(), cpuid.entries() + cpuid.count());
    if (::ioctl(fd, KVM_GET_MP_STATE, &s.mp_state) < 0)
        return failed(why, "KVM_GET_MP_STATE");
    if (::ioctl(fd, KVM_GET_REGS, &s.regs) < 0)
        return failed(why, "KVM_GET_REGS");
    if (::ioctl(fd, KVM_GET_SREGS, &s.sregs) < 0)
        return failed(why, "KVM_GET_SREGS");
    if (::ioctl(fd, kGetXsave, &s.xsave) < 0)
        return failed(why, "KVM_GET_XSAVE");
    if (::ioctl(fd, KVM_GET_XCRS, &s.xcrs) < 0)
        return failed(why, "KVM_GET_XCRS");
    if (::ioctl(fd, KVM_GET_DEBUGREGS, &s.debugregs) < 0)
        return failed(why, "KVM_GET_DEBUGREGS");
    if (::ioctl(fd, KVM_GET_LAPIC, &s.lapic) < 0)
        return failed(why, "KVM_GET_LAPIC");
    PV_TRY_ASSIGN(entries, read_msrs(fd, msrs, why));
    s.msrs = std::move(entries);
    order_msrs(s.msrs);
    if (::ioctl(fd, KVM_GET_VCPU_EVENTS, &s.events) < 0)
        return failed(why, "KVM_GET_VCPU_EVENTS");
    return s;
}

Status restore_vcpu(int fd, const VcpuState& s, std::string& why) {
    kvm::FlexBuffer<kvm_cpuid_entry2> cpuid(s.cpuid.size());
    std::memcpy(cpuid.entries(), s.cpuid.data(), s.cpuid.size() * sizeof(kvm_cpuid_entry2));
    if (::ioctl(fd, kvm::kSetCpuid2, cpuid.data()) < 0)
        return failed(why, "KVM_SET_CPUID2");
    if (::ioctl(fd, KVM_SET_MP_STATE, &s.mp_state) < 0)
        return failed(why, "KVM_SET_MP_STATE");
    if (::ioctl(fd, KVM_SET_REGS, &s.regs) < 0)
        return failed(why, "KVM_SET_REGS");
    if (::ioctl(fd, KVM_SET_SREGS, &s.sregs) < 0)
        return failed(why, "KVM_SET_SREGS");
    if (::ioctl(fd, kSetXsave, &s.xsave) < 0)
        return failed(why, "KVM_SET_XSAVE");
    if (::ioctl(fd, KVM_SET_XCRS, &s.xcrs) < 0)
        return failed(why, "KVM_SET_XCRS");
    if (::ioctl(fd, KVM_SET_DEBUGREGS, &s.debugregs) < 0)
        return failed(why, "KVM_SET_DEBUGREGS");
    if (::ioctl(fd, KVM_SET_LAPIC, &s.lapic) < 0)
        return failed(why, "KVM_SET_LAPIC");
    std::vector<kvm_msr_entry> msrs = s.msrs;
    order_msrs(msrs);
    kvm::FlexBuffer<kvm_msr_entry> buf(msrs.size());
    std::memcpy(buf.entries(), msrs.data(), msrs.size() * sizeof(kvm_msr_entry));
    const int set = ::ioctl(fd, kvm::kSetMsrs, buf.data());
    if (set < 0)
        return failed(why, "KVM_SET_MSRS");
    if (static_cast<std::size_t>(set) != msrs.size()) {
        char text[96];
        std::snprintf(text, sizeof text, "KVM_SET_MSRS: MSR %#x refused (%d of %zu set)",
                      msrs[static_cast<std::size_t>(set)].index, set, msrs.size());
        why = text;
        return Errc::not_supported;
    }
    kvm_vcpu_events events = s.events;
    // Only what KVM_GET_VCPU_EVENTS said it filled in is valid to set.
    if (::ioctl(fd, KVM_SET_VCPU_EVENTS, &events) < 0)
        return failed(why, "KVM_SET_VCPU_EVENTS");
    return {};
}

Result<VmKvmState> capture_vm(int vm_fd, std::string& why) {
    VmKvmState s;
    for (std::uint32_t chip = 0; chip < s.irqchip.size(); ++chip) {
        s.irqchip[chip].chip_id = chip;
        if (::ioctl(vm_fd, KVM_GET_IRQCHIP, &s.irqchip[chip]) < 0)
            return failed(why, "KVM_GET_IRQCHIP");
    }
    if (::ioctl(vm_fd, KVM_GET_PIT2, &s.pit) < 0)
        return failed(why, "KVM_GET_PIT2");
    if (::ioctl(vm_fd, KVM_GET_CLOCK, &s.clock) < 0)
        return failed(why, "KVM_GET_CLOCK");
    return s;
}

Status restore_vm(int vm_fd, const VmKvmState& s, std::string& why) {
    for (const kvm_irqchip& chip : s.irqchip) {
        kvm_irqchip c = chip;
        if (::ioctl(vm_fd, KVM_SET_IRQCHIP, &c) < 0)
            return failed(why, "KVM_SET_IRQCHIP");
    }
    kvm_pit_state2 pit = s.pit;
    if (::ioctl(vm_fd, KVM_SET_PIT2, &pit) < 0)
        return failed(why, "KVM_SET_PIT2");
    // The saved value only: KVM_CLOCK_REALTIME would make the guest's clock jump by the
    // time spent saved.
    kvm_clock_data clock{};
    clock.clock = s.clock.clock;
    if (::ioctl(vm_fd, KVM_SET_CLOCK, &clock) < 0)
        return failed(why, "KVM_SET_CLOCK");
    return {};
}

} // namespace pvisor::snapshot
