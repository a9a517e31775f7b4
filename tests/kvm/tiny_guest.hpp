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
// Guests that take interrupts: install_idt() + enable_lapic() before the first run, `sti` in
// the guest, and route_upcall() to aim the platform device's upcall vector at an IDT vector.
#pragma once

#include "arch/x86_boot.hpp"
#include "boot/bzimage.hpp"
#include "kvm_vm.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

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

    // Writes a 256-gate IDT at `idt_gpa` (4 KiB) whose gates all enter `default_handler`
    // except `vector`, which enters `handler`; loads it into vCPU 0's IDTR. Handlers are
    // guest-physical = virtual addresses (identity map), interrupt gates on CS 0x10.
    [[nodiscard]] Status install_idt(std::uint64_t idt_gpa, std::uint64_t default_handler,
                                     unsigned vector, std::uint64_t handler) {
        constexpr unsigned kGates = 256;
        std::uint8_t idt[kGates * 16] = {};
        for (unsigned v = 0; v < kGates; ++v)
            write_gate(idt + v * 16, v == vector ? handler : default_handler);
        PV_TRY(m_vm->memory().write(idt_gpa, idt, sizeof idt));
        kvm_sregs s{};
        if (::ioctl(m_vm->vcpu(0).fd(), KVM_GET_SREGS, &s) < 0)
            return Errc::system_error;
        s.idt.base = idt_gpa;
        s.idt.limit = sizeof idt - 1;
        if (::ioctl(m_vm->vcpu(0).fd(), KVM_SET_SREGS, &s) < 0)
            return Errc::system_error;
        return {};
    }

    // Software-enables vCPU 0's local APIC (spurious vector register = 0x1FF); KVM resets the
    // APIC base MSR to 0xFEE00000, enabled. The guest acknowledges with a write to 0xFEE000B0.
    [[nodiscard]] Status enable_lapic() {
        constexpr std::size_t kSvr = 0xF0;
        constexpr std::uint32_t kSvrEnabled = 0x1FF;
        kvm_lapic_state lapic{};
        if (::ioctl(m_vm->vcpu(0).fd(), KVM_GET_LAPIC, &lapic) < 0)
            return Errc::system_error;
        std::memcpy(lapic.regs + kSvr, &kSvrEnabled, sizeof kSvrEnabled);
        if (::ioctl(m_vm->vcpu(0).fd(), KVM_SET_LAPIC, &lapic) < 0)
            return Errc::system_error;
        return {};
    }

    // Does what a guest driver does to the platform device, from the host side: memory
    // decoding on, MSI-X entry `upcall` = fixed `vector` to APIC 0, unmasked, MSI-X enabled.
    // Vm::raise_upcall(upcall) then injects through the device's irqfd.
    void route_upcall(unsigned upcall, std::uint8_t vector) {
        constexpr unsigned kMsixControl = 0x42;
        cfg_write(0x04, 0x6, 4); // memory + bus master
        const std::uint64_t entry = PvPlatformDevice::kDefaultBar0 + 16ULL * upcall;
        mmio_write(entry + 0, 0xFEE00000U);
        mmio_write(entry + 4, 0);
        mmio_write(entry + 8, vector);
        mmio_write(entry + 12, 0); // unmask
        cfg_write(kMsixControl, 0x8000, 2);
    }

  private:
    TinyGuest() = default;

    static void write_gate(std::uint8_t* g, std::uint64_t handler) {
        const std::uint16_t lo = handler & 0xFFFFU;
        const std::uint16_t mid = (handler >> 16) & 0xFFFFU;
        const std::uint32_t hi = static_cast<std::uint32_t>(handler >> 32);
        const std::uint16_t cs = 0x10;
        std::memcpy(g + 0, &lo, 2);
        std::memcpy(g + 2, &cs, 2);
        g[4] = 0;    // no IST
        g[5] = 0x8E; // present, DPL 0, 64-bit interrupt gate
        std::memcpy(g + 6, &mid, 2);
        std::memcpy(g + 8, &hi, 4);
    }
    void cfg_write(unsigned reg, std::uint32_t v, unsigned size) {
        const std::uint32_t addr = 0x80000000U | (PvPlatformDevice::kSlot << 11) | (reg & 0xFCU);
        std::uint8_t data[4];
        std::memcpy(data, &addr, 4);
        m_vm->port_io(m_vm->vcpu(0), 0xCF8, true, data, 4);
        std::memcpy(data, &v, 4);
        m_vm->port_io(m_vm->vcpu(0), static_cast<std::uint16_t>(0xCFC + (reg & 3)), true, data, size);
    }
    void mmio_write(std::uint64_t gpa, std::uint32_t v) {
        std::uint8_t data[8] = {};
        std::memcpy(data, &v, 4);
        m_vm->mmio(gpa, true, data, 4);
    }
    std::unique_ptr<Vm> m_vm;
    UniqueFd m_pipe_r, m_pipe_w;
};

} // namespace pvisor::test
