// exit_bench.cpp: the data path's exitless notifications measured against plain userspace
// exits on the host's /dev/kvm, with tiny guests run through pvisor's own Vm and Vcpu:
// hypercall round trip, guest->host notify with and without a KVM ioeventfd, host->guest
// injection through the platform device's irqfd, KVM_SIGNAL_MSI, and on the vCPU's own exit.
// Exits are counted by reason in this file's KVM_RUN loop; a summary table with ratios follows
// the benchmark output. --expect-exitless makes the exit status check the counts (smoke test).
#include "exit_report.hpp"
#include "guest_programs.hpp"
#include "kvm_caps.hpp"
#include "tiny_guest.hpp"

#include <atomic>
#include <benchmark/benchmark.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <thread>

namespace pvisor::bench {
namespace {

using Clock = std::chrono::steady_clock;
using test::TinyGuest;

// CPU time of the calling thread: on a shared 2-core machine it is steadier than wall time
// for the rows where the benchmark thread is the vCPU thread.
std::uint64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t ns(Clock::duration d) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

constexpr std::uint32_t kNotifyBatch = 64;
constexpr auto kDeliveryDeadline = std::chrono::seconds(2); // a hang guard, not a measurement

// Each benchmark's last (largest) run; the summary and the smoke check read these.
Rows g_rows;

// `elapsed` and `cpu` (thread_cpu_ns() difference) cover the measured loop only.
void record(benchmark::State& state, const std::string& name, Row row, Clock::duration elapsed,
            std::uint64_t cpu) {
    if (row.ops > 0) {
        row.ns_per_op = static_cast<double>(ns(elapsed)) / static_cast<double>(row.ops);
        row.cpu_ns_per_op = static_cast<double>(cpu) / static_cast<double>(row.ops);
    }
    if (row.inject_ns > 0)
        state.counters["inject_ns"] = benchmark::Counter(
            static_cast<double>(row.inject_ns) / static_cast<double>(row.ops ? row.ops : 1));
    state.counters["uexits/op"] = benchmark::Counter(
        row.ops ? static_cast<double>(row.exits.userspace()) / static_cast<double>(row.ops) : 0.0);
    state.counters["ops/s"] =
        benchmark::Counter(static_cast<double>(row.ops), benchmark::Counter::kIsRate);
    if (!row.error.empty())
        state.SkipWithError(row.error.c_str());
    g_rows[name] = std::move(row);
}

// Answers the tiny guests' exits the way pvisor's PV services would, minus the work: a
// hypercall returns 0 (and, if asked, raises upcall 0 as a vCPU-thread injection does); a
// notify exit performs the send by writing the party's eventfd.
class BenchHooks final : public PvHooks {
  public:
    std::int32_t hypercall(VcpuAccess&, const HypercallRegs&) override {
        if (inject_on_hypercall && vm != nullptr) {
            const auto t0 = Clock::now();
            vm->raise_upcall(0);
            inject_ns += ns(Clock::now() - t0);
        }
        return 0;
    }
    void notify(VcpuAccess&, std::uint32_t) override {
        const std::uint64_t one = 1;
        (void)!::write(notify_fd, &one, sizeof one);
    }
    void upcall_enabled(unsigned) override {}

    Vm* vm = nullptr;
    bool inject_on_hypercall = false;
    std::uint64_t inject_ns = 0;
    int notify_fd = -1;
};

// One KVM_RUN and pvisor's own exit handling; false when the VM stopped or KVM_RUN failed.
bool run_once(Vcpu& v, ExitTally& t) {
    if (::ioctl(v.fd(), KVM_RUN, 0) < 0)
        return errno == EINTR;
    t.add(v.run_area());
    return v.handle_exit();
}

// Runs until the guest's next hypercall exit (the end of a notify batch).
bool run_to_hypercall(Vcpu& v, ExitTally& t) {
    const std::uint64_t before = t.hypercall;
    while (t.hypercall == before)
        if (!run_once(v, t))
            return false;
    return true;
}

Result<std::unique_ptr<TinyGuest>> make_guest(const std::vector<std::uint8_t>& code,
                                              BenchHooks& hooks, bool interrupts) {
    PV_TRY_ASSIGN(g, TinyGuest::create(code, &hooks));
    hooks.vm = &g->vm();
    if (!interrupts)
        return g;
    const auto irq = counting_handler(kIrqCountGpa);
    const auto other = counting_handler(kOtherIrqGpa);
    PV_TRY(g->vm().memory().write(kIrqHandlerGpa, irq.data(), irq.size()));
    PV_TRY(g->vm().memory().write(kOtherHandlerGpa, other.data(), other.size()));
    PV_TRY(g->install_idt(kIdtGpa, kOtherHandlerGpa, kBenchVector, kIrqHandlerGpa));
    PV_TRY(g->enable_lapic());
    g->route_upcall(0, kBenchVector);
    return g;
}

// A host-side view of a u64 the guest increments. The layout's GPAs are constants inside the
// harness's 16 MiB of RAM, so translate() cannot fail for them.
std::atomic_ref<std::uint64_t> guest_u64(TinyGuest& g, std::uint64_t gpa) {
    auto span = g.vm().memory().translate(gpa, sizeof(std::uint64_t));
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(span->data()));
}

// ---- (a) hypercall round trip: inl $0xE0 answered by the host's KVM_RUN loop ----

void bm_hypercall(benchmark::State& state) {
    BenchHooks hooks;
    auto g = make_guest(kHypercallLoop, hooks, false);
    if (!g.ok()) {
        state.SkipWithError("tiny guest failed");
        return;
    }
    Row row;
    Vcpu& v = (*g)->vm().vcpu(0);
    const std::uint64_t cpu0 = thread_cpu_ns();
    const auto t0 = Clock::now();
    for (auto _ : state) {
        if (!run_once(v, row.exits)) {
            row.error = "KVM_RUN failed: " + (*g)->vm().exit_reason();
            break;
        }
        ++row.ops;
    }
    row.delivered = row.exits.hypercall;
    const auto elapsed = Clock::now() - t0;
    const std::uint64_t cpu_end = thread_cpu_ns();
    record(state, "hypercall", std::move(row), elapsed, cpu_end - cpu0);
}

// ---- (b) guest->host notification ----

enum class NotifyMode { ioeventfd, exit, no_io };

// Reads a party's eventfd on its own thread, as a backend's event loop would.
class EventfdReader {
  public:
    explicit EventfdReader(int fd) : m_fd(fd), m_thread([this] { loop(); }) {}
    ~EventfdReader() {
        m_stop.store(true);
        const std::uint64_t one = 1;
        (void)!::write(m_fd, &one, sizeof one);
        m_thread.join();
    }
    [[nodiscard]] std::uint64_t received() const { return m_received.load(); }
    // True once `n` notifications were read; false after kDeliveryDeadline.
    bool wait_for(std::uint64_t n) const {
        const auto deadline = Clock::now() + kDeliveryDeadline;
        while (m_received.load() < n)
            if (Clock::now() > deadline)
                return false;
            else
                std::this_thread::yield();
        return true;
    }

  private:
    void loop() {
        std::uint64_t v = 0;
        while (::read(m_fd, &v, sizeof v) == sizeof v && !m_stop.load())
            m_received.fetch_add(v);
    }
    int m_fd;
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_received{0};
    std::thread m_thread;
};

void bm_notify(benchmark::State& state, NotifyMode mode, const char* name) {
    UniqueFd efd(::eventfd(0, EFD_CLOEXEC));
    BenchHooks hooks;
    hooks.notify_fd = efd.get();
    auto code = kNotifyLoop;
    if (mode == NotifyMode::no_io)
        std::memcpy(code.data() + kOutlOffset, kTwoByteNop, sizeof kTwoByteNop);
    auto g = make_guest(code, hooks, false);
    if (!efd.valid() || !g.ok() || !(*g)->vm().memory().write_obj(kBatchGpa, kNotifyBatch).ok()) {
        state.SkipWithError("tiny guest or eventfd failed");
        return;
    }
    if (mode == NotifyMode::ioeventfd &&
        !(*g)->vm().add_notify_eventfd(kNotifyPort, efd.get()).ok()) {
        state.SkipWithError("KVM_IOEVENTFD failed");
        return;
    }
    Row row;
    {
        EventfdReader reader(efd.get());
        Vcpu& v = (*g)->vm().vcpu(0);
        const std::uint64_t cpu0 = thread_cpu_ns();
        const auto t0 = Clock::now();
        while (state.KeepRunningBatch(kNotifyBatch)) {
            if (!run_to_hypercall(v, row.exits)) {
                row.error = "KVM_RUN failed: " + (*g)->vm().exit_reason();
                break;
            }
            row.ops += kNotifyBatch;
        }
        const auto elapsed = Clock::now() - t0;
        const std::uint64_t cpu_end = thread_cpu_ns();
        const std::uint64_t expect = mode == NotifyMode::no_io ? 0 : row.ops;
        if (!reader.wait_for(expect) && row.error.empty())
            row.error = "eventfd saw " + std::to_string(reader.received()) + " of " +
                        std::to_string(expect) + " notifications";
        row.delivered = reader.received();
        record(state, name, std::move(row), elapsed, cpu_end - cpu0);
    }
}

// ---- (c) host->guest injection ----

enum class InjectMode { irqfd, signal_msi };

bool signal_msi(int vm_fd) {
    kvm_msi msi{};
    msi.address_lo = 0xFEE00000U;
    msi.data = kBenchVector;
    return ::ioctl(vm_fd, KVM_SIGNAL_MSI, &msi) > 0;
}

// Injects one interrupt at a time from this thread into the guest running on another thread
// (halted in `hlt`, or spinning) and spins until the guest's handler has counted it:
// injection-to-handler latency.
void bm_inject(benchmark::State& state, InjectMode mode, bool halted, const char* name) {
    BenchHooks hooks;
    auto g = make_guest(halted ? kHaltLoop : kSpinLoop, hooks, true);
    if (!g.ok()) {
        state.SkipWithError("tiny guest with IDT/LAPIC failed");
        return;
    }
    Vm& vm = (*g)->vm();
    auto count = guest_u64(**g, kIrqCountGpa);
    auto inject = [&] {
        if (mode == InjectMode::irqfd)
            vm.raise_upcall(0);
        else
            (void)signal_msi(vm.vm_fd());
    };
    Row row;
    std::atomic<bool> vcpu_done{false};
    ExitTally vcpu_exits; // written by the vCPU thread only, read after join
    std::thread vcpu([&] {
        while (run_once(vm.vcpu(0), vcpu_exits)) {
        }
        vcpu_done.store(true);
    });
    const std::uint64_t cpu0 = thread_cpu_ns();
    const auto t0 = Clock::now();
    for (auto _ : state) {
        const auto t_inject = Clock::now();
        inject();
        row.inject_ns += ns(Clock::now() - t_inject);
        ++row.ops;
        const auto deadline = Clock::now() + kDeliveryDeadline;
        while (count.load(std::memory_order_acquire) < row.ops && !vcpu_done.load())
            if (Clock::now() > deadline)
                break;
        if (count.load(std::memory_order_acquire) < row.ops) {
            row.error = "interrupt " + std::to_string(row.ops) + " not delivered";
            break;
        }
    }
    const auto elapsed = Clock::now() - t0;
    const std::uint64_t cpu_end = thread_cpu_ns();
    std::atomic_ref<std::uint8_t>(
        *reinterpret_cast<std::uint8_t*>(vm.memory().translate(kStopGpa, 1)->data()))
        .store(1, std::memory_order_release);
    inject(); // wakes the hlt; the guest sees the flag and resets
    vcpu.join();
    row.exits = vcpu_exits;
    row.delivered = count.load();
    if (guest_u64(**g, kOtherIrqGpa).load() != 0 && row.error.empty())
        row.error = "unexpected interrupt vectors taken";
    record(state, name, std::move(row), elapsed, cpu_end - cpu0);
}

// The vCPU exits (inl $0xE0); its own exit handler raises the upcall, delivered on re-entry:
// what injection costs when it has to wait for, or cause, a userspace exit.
void bm_inject_on_exit(benchmark::State& state) {
    BenchHooks hooks;
    hooks.inject_on_hypercall = true;
    auto g = make_guest(kHypercallIrqLoop, hooks, true);
    if (!g.ok()) {
        state.SkipWithError("tiny guest with IDT/LAPIC failed");
        return;
    }
    auto count = guest_u64(**g, kIrqCountGpa);
    Vcpu& v = (*g)->vm().vcpu(0);
    Row row;
    const std::uint64_t cpu0 = thread_cpu_ns();
    const auto t0 = Clock::now();
    for (auto _ : state) {
        if (!run_once(v, row.exits)) {
            row.error = "KVM_RUN failed: " + (*g)->vm().exit_reason();
            break;
        }
        ++row.ops;
    }
    const auto elapsed = Clock::now() - t0;
    const std::uint64_t cpu_end = thread_cpu_ns();
    row.delivered = count.load();
    row.inject_ns = hooks.inject_ns;
    // The last raise is delivered on the next entry, which never comes.
    if (row.delivered + 1 < row.ops && row.error.empty())
        row.error = "only " + std::to_string(row.delivered) + " interrupts counted";
    record(state, "inject_on_exit", std::move(row), elapsed, cpu_end - cpu0);
}

} // namespace
} // namespace pvisor::bench

int main(int argc, char** argv) {
    using namespace pvisor::bench;
    const bool expect_exitless = strip_flag(argc, argv, "--expect-exitless");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    const KvmCaps caps = probe_caps();
    if (!caps.usable) {
        std::printf("exit_bench: %s; nothing to measure\n", caps.why.c_str());
        return expect_exitless ? 77 : 0; // 77: meson's "skipped"
    }
    print_caps(caps);
    auto reg = [](const char* name, auto fn) {
        benchmark::RegisterBenchmark(name, fn)->UseRealTime();
    };
    reg("hypercall/inl_0xE0_userspace_exit", bm_hypercall);
    if (caps.ioeventfd)
        reg("notify/outl_0xE4_ioeventfd",
            [](benchmark::State& s) { bm_notify(s, NotifyMode::ioeventfd, "notify_ioeventfd"); });
    reg("notify/outl_0xE4_userspace_exit",
        [](benchmark::State& s) { bm_notify(s, NotifyMode::exit, "notify_exit"); });
    reg("notify/loop_without_io",
        [](benchmark::State& s) { bm_notify(s, NotifyMode::no_io, "notify_no_io"); });
    if (caps.irqfd && caps.irq_routing) {
        reg("inject/irqfd_platform_device/halted_vcpu",
            [](benchmark::State& s) { bm_inject(s, InjectMode::irqfd, true, "inject_irqfd"); });
        reg("inject/irqfd_platform_device/spinning_vcpu", [](benchmark::State& s) {
            bm_inject(s, InjectMode::irqfd, false, "inject_irqfd_busy");
        });
    }
    if (caps.signal_msi) {
        reg("inject/KVM_SIGNAL_MSI/halted_vcpu", [](benchmark::State& s) {
            bm_inject(s, InjectMode::signal_msi, true, "inject_signal_msi");
        });
        reg("inject/KVM_SIGNAL_MSI/spinning_vcpu", [](benchmark::State& s) {
            bm_inject(s, InjectMode::signal_msi, false, "inject_signal_msi_busy");
        });
    }
    if (caps.irqfd && caps.irq_routing)
        reg("inject/on_own_userspace_exit", bm_inject_on_exit);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    print_summary(g_rows);
    return expect_exitless ? check_exitless(g_rows, caps) : 0;
}
