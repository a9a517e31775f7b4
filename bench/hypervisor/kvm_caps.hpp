// kvm_caps.hpp: which of the measured mechanisms the host's KVM offers (KVM_CHECK_EXTENSION),
// so that exit_bench skips a row with a reason instead of failing.
#pragma once

#include <string>

namespace pvisor::bench {

struct KvmCaps {
    bool usable = false; // /dev/kvm opens and a tiny guest can be created
    std::string why;     // why not, when !usable
    bool ioeventfd = false;
    bool irqfd = false;
    bool irq_routing = false;
    bool signal_msi = false;
    std::string kvm_interrupt; // what KVM_INTERRUPT answered with the in-kernel irqchip
};

[[nodiscard]] KvmCaps probe_caps();
void print_caps(const KvmCaps& caps);

} // namespace pvisor::bench
