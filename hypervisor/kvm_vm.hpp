// kvm_vm.hpp: the KVM virtual machine: /dev/kvm, guest memory slots, in-kernel irqchip and PIT,
// vCPUs, legacy devices; implements Platform for the PV services.
#pragma once

#include "devices/pci.hpp"
#include "devices/pv_platform.hpp"
#include "devices/serial8250.hpp"
#include "guest_memory.hpp"
#include "irq_routing.hpp"
#include "kvm_state.hpp"
#include "platform.hpp"
#include "result.hpp"
#include "unique_fd.hpp"
#include "vcpu.hpp"

#include <linux/kvm.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pvisor {

struct VmConfig {
    std::uint64_t memory_bytes = 0;
    unsigned vcpus = 1;
    std::string kvm_device = "/dev/kvm";
};

class Vm final : public Platform {
  public:
    // `why` gets "<what>: <why>" on failure.
    static Result<std::unique_ptr<Vm>> create(const VmConfig& config, std::string& why);
    ~Vm() override;

    [[nodiscard]] int kvm_fd() const noexcept { return m_kvm.get(); }
    [[nodiscard]] int vm_fd() const noexcept { return m_vm.get(); }
    [[nodiscard]] std::size_t run_size() const noexcept { return m_run_size; }
    [[nodiscard]] Vcpu& vcpu(unsigned i) { return *m_vcpus[i]; }
    [[nodiscard]] const std::vector<kvm_cpuid_entry2>& supported_cpuid() const { return m_cpuid; }

    void set_hooks(PvHooks* hooks) { m_hooks = hooks; }
    [[nodiscard]] PvHooks* hooks() const { return m_hooks; }
    void attach_serial(int out_fd, Serial8250::Tap tap = {});
    [[nodiscard]] Serial8250* serial() { return m_serial.get(); }

    // Creates the vCPUs with CPUID; vCPU 0 gets the long-mode boot state (rip, rsi).
    [[nodiscard]] Status create_vcpus(std::uint64_t rip, std::uint64_t rsi, std::uint64_t rsp);
    // Restore: creates the vCPUs and writes each one's saved state (the stream's CPUID
    // included). A saved TSC rate other than this host's is asked of KVM (KVM_SET_TSC_KHZ);
    // Errc::not_supported (and `why`) if KVM refuses it or any state.
    [[nodiscard]] Status restore_vcpus(const std::vector<snapshot::VcpuState>& vcpus,
                                       std::uint32_t tsc_khz, std::string& why);
    // Save: every vCPU's state. The VM must be paused (the vCPUs parked).
    [[nodiscard]] Result<std::vector<snapshot::VcpuState>> capture_vcpus(std::string& why);
    // The guest TSC's rate in kHz (0 if KVM does not say).
    [[nodiscard]] std::uint32_t guest_tsc_khz() const;

    // Runs all vCPUs until shutdown; returns the exit status.
    int run();

    // Port I/O not handled by KVM itself. `data` holds `size` bytes.
    void port_io(Vcpu& vcpu, std::uint16_t port, bool is_write, std::uint8_t* data, unsigned size);
    // MMIO that hit no memory slot: the platform device's BAR, else nothing (reads all ones).
    void mmio(std::uint64_t gpa, bool is_write, std::uint8_t* data, unsigned len);
    [[nodiscard]] PvPlatformDevice& platform_device() { return *m_platform; }
    void set_irq_line(unsigned irq, bool level);
    // Appends the VM's counters ("name value" lines): exits per vCPU, upcalls per vector.
    void append_counters(std::string& out) const;
    // Stops the VM with this exit status and a one-line reason (first caller wins).
    void stop_with(int status, std::string reason);
    // The reason given by the call that stopped the VM (valid after run() returns).
    [[nodiscard]] std::string exit_reason() const;
    [[nodiscard]] bool stopping() const;

    // Pause (the management socket's pause/unpause; idempotent, any thread but a vCPU's):
    // every vCPU leaves KVM_RUN and parks before its next one; pause() returns once all
    // running vCPUs are parked (or the VM stops). The PV hooks hear of it first
    // (pause_changed), so that timers hold their upcalls and blocked vCPUs come out.
    void pause();
    void unpause();
    [[nodiscard]] bool paused() const;
    // For the vCPU threads: a pause is requested (cheap), and the gate they park in until
    // unpause() or their own stop().
    [[nodiscard]] bool pause_requested() const noexcept { return m_pause_requested.load(); }
    void pause_gate(Vcpu& vcpu);
    void wake_parked();

    // Platform
    [[nodiscard]] const GuestMemory& memory() const override { return m_mem; }
    [[nodiscard]] unsigned vcpu_count() const override { return m_vcpu_count; }
    void raise_upcall(unsigned vcpu) override;
    void request_shutdown(ShutdownReason reason) override;
    [[nodiscard]] Status add_notify_eventfd(std::uint32_t port, int eventfd) override;
    [[nodiscard]] Status remove_notify_eventfd(std::uint32_t port, int eventfd) override;

  private:
    Vm(UniqueFd kvm, UniqueFd vm, GuestMemory mem, unsigned vcpus)
        : m_kvm(std::move(kvm)), m_vm(std::move(vm)), m_mem(std::move(mem)), m_vcpu_count(vcpus) {}
    [[nodiscard]] Status setup(std::string& why);
    [[nodiscard]] Status setup_interrupts(std::string& why);
    [[nodiscard]] Status notify_eventfd(std::uint32_t port, int eventfd, bool remove);

    UniqueFd m_kvm;
    UniqueFd m_vm;
    GuestMemory m_mem;
    unsigned m_vcpu_count;
    std::size_t m_run_size = 0;
    std::vector<kvm_cpuid_entry2> m_cpuid;
    bool m_tsc_deadline = false;
    std::vector<std::unique_ptr<Vcpu>> m_vcpus;
    std::unique_ptr<Serial8250> m_serial;
    PvHooks* m_hooks = nullptr;
    std::unique_ptr<IrqRouting> m_routing;
    PciBus m_pci;
    std::unique_ptr<PvPlatformDevice> m_platform;

    mutable std::mutex m_mu;
    std::condition_variable m_cv;
    std::optional<int> m_exit_status;
    std::string m_exit_reason;
    // Pause state, under m_mu (m_pause_requested also read without it by the vCPU loops).
    std::condition_variable m_pause_cv;
    std::atomic<bool> m_pause_requested{false};
    unsigned m_parked = 0;
    std::mutex m_pause_op; // one pause()/unpause() at a time
};

} // namespace pvisor
