// vcpu.hpp: one KVM vCPU (fd + kvm_run mapping) and its run loop on its own thread.
#pragma once

#include "platform.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

#include <linux/kvm.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <sched.h>
#include <sys/types.h>
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
    // Makes the thread leave KVM_RUN now, or not enter it next (signal + immediate_exit);
    // it then passes Vm::pause_gate before running the guest again. Any thread.
    void kick();
    [[nodiscard]] bool stopping() const noexcept { return m_stopping.load(); }

    // The thread's figures for the management socket (any thread): its kernel thread id (0
    // before it started), its CPU time so far (the final one once it ended), its affinity.
    [[nodiscard]] pid_t tid() const noexcept { return m_os_tid.load(); }
    [[nodiscard]] std::uint64_t cpu_ns() const;
    [[nodiscard]] std::uint64_t total_exits() const noexcept;
    // Pins the thread to `cpus`: now, or as it starts. Errc::system_error (errno set) if
    // the kernel refuses. Any thread.
    [[nodiscard]] Status pin(const cpu_set_t& cpus);
    // The CPUs the thread may run on (before it starts: the pinned set, else none).
    [[nodiscard]] std::vector<unsigned> affinity() const;

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
    // Completes the last exit without running the guest (before parking).
    void settle();
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
    // m_thread_lock guards m_handle against the join (cpu_ns() reads the thread's CPU clock
    // through it), and m_os_tid's start against m_pin (pin() before the thread runs).
    mutable std::mutex m_thread_lock;
    pthread_t m_handle{};
    bool m_joining = false;
    std::optional<cpu_set_t> m_pin;
    std::atomic<pid_t> m_os_tid{0};
    std::atomic<std::uint64_t> m_final_cpu_ns{0};
};

} // namespace pvisor
