// exit_report.cpp: the summary table and the exit-count checks of exit_bench.
#include "exit_report.hpp"

#include <cstdio>
#include <cstring>

namespace pvisor::bench {
namespace {

struct Line {
    const char* key;
    const char* label;
};

// Table order: each exitless path right below or above the exit it replaces.
constexpr Line kLines[] = {
    {"hypercall", "hypercall: inl 0xE0, userspace exit"},
    {"notify_ioeventfd", "notify: outl 0xE4 -> ioeventfd"},
    {"notify_exit", "notify: outl 0xE4 -> userspace exit"},
    {"notify_no_io", "notify loop without the outl"},
    {"inject_irqfd", "inject: irqfd (platform dev), vCPU in hlt"},
    {"inject_signal_msi", "inject: KVM_SIGNAL_MSI, vCPU in hlt"},
    {"inject_irqfd_busy", "inject: irqfd, vCPU spinning"},
    {"inject_signal_msi_busy", "inject: KVM_SIGNAL_MSI, vCPU spinning"},
    {"inject_on_exit", "inject: on the vCPU's own exit"},
};

const Row* find(const Rows& rows, const char* key) {
    const auto it = rows.find(key);
    return it == rows.end() || it->second.ops == 0 ? nullptr : &it->second;
}

double per_op(std::uint64_t n, const Row& r) {
    return static_cast<double>(n) / static_cast<double>(r.ops);
}

// Wall-time ratio, and the benchmark thread's CPU-time ratio where that thread is the vCPU's.
void print_ratio(const Rows& rows, const char* slow, const char* fast, const char* what,
                 bool cpu_too) {
    const Row* s = find(rows, slow);
    const Row* f = find(rows, fast);
    if (s == nullptr || f == nullptr || f->ns_per_op <= 0 || f->cpu_ns_per_op <= 0)
        return;
    std::printf("  %-52s %6.1fx wall", what, s->ns_per_op / f->ns_per_op);
    if (cpu_too)
        std::printf(", %5.1fx vCPU-thread cpu", s->cpu_ns_per_op / f->cpu_ns_per_op);
    std::printf("\n");
}

} // namespace

bool strip_flag(int& argc, char** argv, const char* flag) {
    bool found = false;
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], flag) == 0)
            found = true;
        else
            argv[out++] = argv[i];
    }
    argc = out;
    return found;
}

void print_summary(const Rows& rows) {
    std::printf("\nSummary (wall time per operation in this run; read the ratios, the machine is "
                "shared and noisy)\n");
    std::printf("%-40s %10s %12s %12s %10s %10s\n", "path", "wall ns/op", "ops/s", "cpu ns/op",
                "uexits/op", "delivered");
    for (const Line& l : kLines) {
        const Row* r = find(rows, l.key);
        if (r == nullptr) {
            std::printf("%-40s %10s\n", l.label, "skipped");
            continue;
        }
        std::printf("%-40s %10.0f %12.0f %12.0f %10.4f %10llu%s\n", l.label, r->ns_per_op,
                    1e9 / r->ns_per_op, r->cpu_ns_per_op, per_op(r->exits.userspace(), *r),
                    static_cast<unsigned long long>(r->delivered),
                    r->error.empty() ? "" : "  (error)");
    }
    if (const Row* r = find(rows, "notify_ioeventfd"))
        std::printf("notify exits through the ioeventfd: %llu for %llu notifications (the %.4f "
                    "uexits/op are the batch-ending hypercalls, 1 per %llu)\n",
                    static_cast<unsigned long long>(r->exits.notify),
                    static_cast<unsigned long long>(r->ops), per_op(r->exits.userspace(), *r),
                    static_cast<unsigned long long>(r->ops /
                                                    (r->exits.hypercall ? r->exits.hypercall : 1)));
    for (const char* key : {"inject_irqfd", "inject_signal_msi", "inject_irqfd_busy",
                            "inject_signal_msi_busy", "inject_on_exit"})
        if (const Row* r = find(rows, key); r != nullptr && r->inject_ns > 0)
            std::printf("%s: %.0f ns inside the injecting call itself (the rest is wake-up, "
                        "delivery and the guest's handler)\n",
                        key, static_cast<double>(r->inject_ns) / static_cast<double>(r->ops));
    std::printf("(irqfd and KVM_SIGNAL_MSI rows: the one userspace exit per run is the guest's "
                "final i8042 reset)\n");
    std::printf("Ratios (slower / faster):\n");
    print_ratio(rows, "notify_exit", "notify_ioeventfd", "notify: userspace exit / ioeventfd",
                true);
    print_ratio(rows, "hypercall", "notify_ioeventfd", "hypercall round trip / ioeventfd notify",
                true);
    print_ratio(rows, "inject_on_exit", "inject_irqfd", "inject: on own exit / irqfd from a thread",
                false);
    print_ratio(rows, "inject_signal_msi", "inject_irqfd", "inject: KVM_SIGNAL_MSI / irqfd", false);
    print_ratio(rows, "inject_irqfd_busy", "inject_irqfd", "inject irqfd: vCPU spinning / in hlt",
                false);
    const Row* io = find(rows, "notify_ioeventfd");
    const Row* ex = find(rows, "notify_exit");
    const Row* nop = find(rows, "notify_no_io");
    if (io != nullptr && ex != nullptr && nop != nullptr && io->cpu_ns_per_op > nop->cpu_ns_per_op)
        std::printf("  %-52s %6.1fx vCPU-thread cpu (%.0f vs %.0f ns)\n",
                    "notify net of the emulated loop: exit / ioeventfd",
                    (ex->cpu_ns_per_op - nop->cpu_ns_per_op) /
                        (io->cpu_ns_per_op - nop->cpu_ns_per_op),
                    ex->cpu_ns_per_op - nop->cpu_ns_per_op, io->cpu_ns_per_op - nop->cpu_ns_per_op);
}

int check_exitless(const Rows& rows, const KvmCaps& caps) {
    int bad = 0;
    auto fail = [&bad](const char* what, unsigned long long got, unsigned long long want) {
        std::printf("smoke: FAIL %s: %llu, expected %llu\n", what, got, want);
        ++bad;
    };
    const Row* hc = find(rows, "hypercall");
    if (hc == nullptr || !hc->error.empty())
        fail("hypercall rows", hc ? hc->ops : 0, 1);
    else if (hc->exits.hypercall != hc->ops)
        fail("hypercall exits", hc->exits.hypercall, hc->ops);
    const Row* ex = find(rows, "notify_exit");
    if (ex == nullptr || !ex->error.empty())
        fail("notify_exit rows", ex ? ex->ops : 0, 1);
    else if (ex->exits.notify != ex->ops || ex->delivered != ex->ops)
        fail("notify exits without an ioeventfd", ex->exits.notify, ex->ops);
    if (caps.ioeventfd) {
        const Row* io = find(rows, "notify_ioeventfd");
        if (io == nullptr || !io->error.empty())
            fail("notify_ioeventfd rows", io ? io->ops : 0, 1);
        else if (io->exits.notify != 0)
            fail("notify exits through the ioeventfd", io->exits.notify, 0);
        else if (io->delivered != io->ops)
            fail("notifications read from the eventfd", io->delivered, io->ops);
    }
    // Cross-thread injection never needs the vCPU to exit: the only exit of such a run is the
    // guest's final i8042 reset.
    for (const char* key : {"inject_irqfd", "inject_signal_msi"}) {
        const Row* r = find(rows, key);
        if (r == nullptr)
            continue; // capability missing: the row was skipped and said so
        if (!r->error.empty() || r->delivered < r->ops)
            fail(key, r->delivered, r->ops);
        else if (r->exits.userspace() != 1)
            fail("userspace exits of a cross-thread injection run", r->exits.userspace(), 1);
    }
    if (bad == 0)
        std::printf("smoke: ok (0 userspace exits for ioeventfd notifications and irqfd/MSI "
                    "injection, 1 per exit-path op)\n");
    return bad == 0 ? 0 : 1;
}

} // namespace pvisor::bench
