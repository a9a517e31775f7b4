// tiny_guest.hpp: runs a few bytes of hand-written 64-bit guest code through pvisor's real Vm
// and Vcpu classes on the host's /dev/kvm.
//
// How to use (e.g. for hypercall tests in hypervisor/pv):
//   auto g = TinyGuest::create(code_bytes, hooks);   // hooks: your PvHooks implementation
//   int status = g->vm().run();                      // runs until the guest stops the VM
// The code is loaded at TinyGuest::kCodeGpa and entered in 64-bit mode at CPL 0 with identity
// page tables for the first 4 GiB (rsp = 0x8FF0). End the guest with `mov $0xFE,%al;
// out %al,$0x64` (i8042 reset: run() returns 3). COM1 output (port 0x3F8) goes to the pipe
// read by serial_output(). Host KVM emulates every instruction: keep guests tiny.
#pragma once

#include "arch/x86_boot.hpp"
#include "boot/bzimage.hpp"
#include "kvm_vm.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

namespace pvisor::test {

class TinyGuest {
  public:
    static constexpr std::uint64_t kCodeGpa = 0x100000;

    static Result<std::unique_ptr<TinyGuest>> create(const std::vector<std::uint8_t>& code,
                                                     PvHooks* hooks, unsigned vcpus = 1) {
        std::unique_ptr<TinyGuest> g(new TinyGuest);
        std::string why;
        VmConfig vc;
        vc.memory_bytes = 16 << 20;
        vc.vcpus = vcpus;
        PV_TRY_ASSIGN(vm, Vm::create(vc, why));
        g->m_vm = std::move(vm);
        PV_TRY(write_boot_tables(g->m_vm->memory(), kPml4Gpa, kGdtGpa));
        PV_TRY(g->m_vm->memory().write(kCodeGpa, code.data(), code.size()));
        PV_TRY(g->m_vm->create_vcpus(kCodeGpa, 0, kBootStackTop));
        int p[2];
        if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
            return Errc::system_error;
        g->m_pipe_r = UniqueFd(p[0]);
        g->m_pipe_w = UniqueFd(p[1]);
        g->m_vm->attach_serial(g->m_pipe_w.get());
        g->m_vm->set_hooks(hooks);
        return g;
    }

    [[nodiscard]] Vm& vm() { return *m_vm; }

    [[nodiscard]] std::string serial_output() const {
        std::string out;
        char buf[256];
        ssize_t n;
        while ((n = ::read(m_pipe_r.get(), buf, sizeof buf)) > 0)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

  private:
    TinyGuest() = default;
    std::unique_ptr<Vm> m_vm;
    UniqueFd m_pipe_r, m_pipe_w;
};

} // namespace pvisor::test
