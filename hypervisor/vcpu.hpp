// vcpu.hpp: one KVM vCPU (fd + kvm_run mapping) and its run loop on its own thread.
#pragma once

#include "platform.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <linux/kvm.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

namespace pvisor {

class Vm;

class Vcpu final : public VcpuAccess {
  public:
    static Result<std::unique_ptr<Vcpu>> create(Vm& vm, unsigned id);
    ~Vcpu() override;

    [[nodiscard]] int fd() const noexcept { return m_fd.get(); }
    [[nodiscard]] kvm_run& run_area() const noexcept { return *static_cast<kvm_run*>(m_run.get()); }

    // Starts the thread running the guest until stop() or a fatal exit.
    [[nodiscard]] Status start();
    // Asks the thread to leave KVM_RUN (signal + immediate_exit) and joins it.
    void stop();

    // VcpuAccess (valid on this vCPU's thread during an exit).
    [[nodiscard]] unsigned id() const override { return m_id; }
    [[nodiscard]] unsigned cpl() const override;
    [[nodiscard]] Result<std::uint64_t> translate_gva(std::uint64_t gva, bool write) override;
    [[nodiscard]] Result<std::uint64_t> guest_tsc() override;
    [[nodiscard]] std::uint64_t tsc_khz() const override;

    // Exits to userspace by kind, for the counters.
    enum class ExitKind : std::uint8_t { hypercall, notify, pio, mmio, intr, other, count_ };
    static constexpr std::size_t kExitKinds = static_cast<std::size_t>(ExitKind::count_);
    [[nodiscard]] static const char* exit_kind_name(ExitKind k) noexcept;
    [[nodiscard]] std::uint64_t exits(ExitKind k) const noexcept {
        return m_exits[static_cast<std::size_t>(k)].load(std::memory_order_relaxed);
    }

    // Handles one KVM_RUN exit; false when the vCPU must stop. Public for the tiny-guest harness.
    bool handle_exit();
    // One KVM_RUN; returns false on a stop request or fatal error.
    bool run_once();

  private:
    Vcpu(Vm& vm, unsigned id) : m_vm(vm), m_id(id) {}
    void thread_main();
    bool handle_io();
    // "rip ... rsp ... cr0 ... cr3 ..." for exit reasons.
    [[nodiscard]] std::string register_summary() const;

    Vm& m_vm;
    unsigned m_id;
    UniqueFd m_fd;
    Mapping m_run;
    std::thread m_thread;
    std::atomic<bool> m_stopping{false};
    std::array<std::atomic<std::uint64_t>, kExitKinds> m_exits{};
    void count(ExitKind k) noexcept { m_exits[static_cast<std::size_t>(k)].fetch_add(1, std::memory_order_relaxed); }
    std::atomic<pthread_t> m_tid{};
};

} // namespace pvisor
