// kvm_caps.cpp: KVM_CHECK_EXTENSION probes, and KVM_INTERRUPT tried on a real tiny guest.
#include "kvm_caps.hpp"

#include "tiny_guest.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/ioctl.h>

namespace pvisor::bench {
namespace {

bool has(int kvm_fd, long cap) {
    return ::ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

// KVM_INTERRUPT is the userspace-irqchip injection ioctl; pvisor's VMs use the in-kernel
// irqchip, where KVM refuses it. Report what it says rather than assume.
std::string try_kvm_interrupt(Vm& vm) {
    kvm_interrupt irq{};
    irq.irq = 0x40;
    if (::ioctl(vm.vcpu(0).fd(), KVM_INTERRUPT, &irq) == 0)
        return "accepted";
    return std::string("refused (") + std::strerror(errno) +
           "): it needs a userspace irqchip, pvisor uses KVM's in-kernel one";
}

} // namespace

KvmCaps probe_caps() {
    KvmCaps caps;
    const std::vector<std::uint8_t> halt = {0xF4};
    auto g = test::TinyGuest::create(halt, nullptr);
    if (!g.ok()) {
        caps.why = std::string("cannot create a tiny guest on /dev/kvm (") +
                   std::string(errc_name(g.error())) + ")";
        return caps;
    }
    Vm& vm = (*g)->vm();
    caps.usable = true;
    caps.ioeventfd = has(vm.kvm_fd(), KVM_CAP_IOEVENTFD);
    caps.irqfd = has(vm.kvm_fd(), KVM_CAP_IRQFD);
    caps.irq_routing = has(vm.kvm_fd(), KVM_CAP_IRQ_ROUTING);
    caps.signal_msi = has(vm.vm_fd(), KVM_CAP_SIGNAL_MSI);
    caps.kvm_interrupt = try_kvm_interrupt(vm);
    return caps;
}

void print_caps(const KvmCaps& c) {
    auto yn = [](bool b) { return b ? "yes" : "NO (row skipped)"; };
    std::printf("KVM: ioeventfd %s, irqfd %s, irq routing %s, KVM_SIGNAL_MSI %s\n", yn(c.ioeventfd),
                yn(c.irqfd), yn(c.irq_routing), yn(c.signal_msi));
    std::printf("KVM_INTERRUPT: %s; no row for it\n", c.kvm_interrupt.c_str());
}

} // namespace pvisor::bench
