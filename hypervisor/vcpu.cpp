// vcpu.cpp: vCPU creation, its thread and exit dispatch.
#include "vcpu.hpp"

#include "arch/kvm_abi.hpp"
#include "cli.hpp"
#include "kvm_vm.hpp"

#include <pv/pvisor.h>

#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pvisor {
namespace {

constexpr int kKickSignal = SIGUSR1;
constexpr std::uint32_t kMsrTsc = 0x10;

void install_kick_handler() {
    static const bool installed = [] {
        struct sigaction sa{};
        sa.sa_handler = [](int) {};
        sigemptyset(&sa.sa_mask);
        ::sigaction(kKickSignal, &sa, nullptr); // no SA_RESTART: KVM_RUN returns EINTR
        return true;
    }();
    (void)installed;
}

} // namespace

Result<std::unique_ptr<Vcpu>> Vcpu::create(Vm& vm, unsigned id) {
    std::unique_ptr<Vcpu> v(new Vcpu(vm, id));
    v->m_fd = UniqueFd(::ioctl(vm.vm_fd(), KVM_CREATE_VCPU, static_cast<unsigned long>(id)));
    if (!v->m_fd.valid())
        return Errc::system_error;
    void* run = ::mmap(nullptr, vm.run_size(), PROT_READ | PROT_WRITE, MAP_SHARED, v->m_fd.get(), 0);
    if (run == MAP_FAILED)
        return Errc::system_error;
    v->m_run = Mapping(run, vm.run_size());
    return v;
}

Vcpu::~Vcpu() { stop(); }

Status Vcpu::start() {
    install_kick_handler();
    std::lock_guard lock(m_thread_lock);
    m_thread = std::thread([this] { thread_main(); });
    m_handle = m_thread.native_handle();
    return {};
}

void Vcpu::stop() {
    {
        std::lock_guard lock(m_thread_lock);
        if (!m_thread.joinable() || m_joining)
            return;
        m_joining = true;
    }
    m_stopping.store(true);
    m_vm.wake_parked(); // a vCPU parked by pause leaves the gate
    kick();
    m_thread.join();
}

void Vcpu::kick() {
    // seq_cst, paired with pause_gate: the thread clears immediate_exit and then re-reads
    // the pause and stop flags, so a request is either seen there or stops KVM_RUN.
    std::atomic_ref<std::uint8_t>(run_area().immediate_exit).store(1);
    const pid_t tid = m_os_tid.load();
    if (tid != 0)
        (void)::tgkill(::getpid(), tid, kKickSignal);
}

void Vcpu::thread_main() {
    {
        std::lock_guard lock(m_thread_lock);
        m_os_tid.store(static_cast<pid_t>(::gettid()));
        if (m_pin && ::sched_setaffinity(0, sizeof(cpu_set_t), &*m_pin) != 0)
            std::fprintf(stderr, "pvisor: vCPU %u: cannot pin: %s\n", m_id, std::strerror(errno));
    }
    while (!m_stopping.load()) {
        if (m_vm.pause_requested()) {
            settle();
            m_vm.pause_gate(*this);
            std::atomic_ref<std::uint8_t>(run_area().immediate_exit).store(0);
            continue; // the flags again: a pause or stop may have come meanwhile
        }
        if (!run_once())
            break;
    }
    timespec ts{};
    if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        m_final_cpu_ns.store(static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
                             static_cast<std::uint64_t>(ts.tv_nsec));
}

void Vcpu::settle() {
    // KVM finishes an exit (an `in` from the hypercall port, an MMIO read) at the next
    // KVM_RUN; with immediate_exit set that KVM_RUN returns EINTR without running the guest.
    // So a parked vCPU's registers hold the completed instruction (what a save reads).
    std::atomic_ref<std::uint8_t>(run_area().immediate_exit).store(1);
    (void)::ioctl(m_fd.get(), KVM_RUN, 0);
}

std::uint64_t Vcpu::cpu_ns() const {
    std::lock_guard lock(m_thread_lock);
    clockid_t clock{};
    timespec ts{};
    // A thread that ended but is not joined yet has no clock any more: the final figure.
    if (!m_thread.joinable() || m_joining ||
        ::pthread_getcpuclockid(m_handle, &clock) != 0 ||
        ::clock_gettime(clock, &ts) != 0)
        return m_final_cpu_ns.load();
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

Status Vcpu::pin(const cpu_set_t& cpus) {
    std::lock_guard lock(m_thread_lock);
    const pid_t tid = m_os_tid.load();
    if (tid != 0 && ::sched_setaffinity(tid, sizeof(cpu_set_t), &cpus) != 0)
        return Errc::system_error;
    m_pin = cpus;
    return {};
}

std::vector<unsigned> Vcpu::affinity() const {
    cpu_set_t set;
    CPU_ZERO(&set);
    {
        std::lock_guard lock(m_thread_lock);
        const pid_t tid = m_os_tid.load();
        if (tid != 0 && ::sched_getaffinity(tid, sizeof set, &set) != 0)
            CPU_ZERO(&set);
        else if (tid == 0 && m_pin)
            set = *m_pin;
    }
    std::vector<unsigned> cpus;
    for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set))
            cpus.push_back(c);
    }
    return cpus;
}

std::uint64_t Vcpu::total_exits() const noexcept {
    std::uint64_t n = 0;
    for (const auto& e : m_exits)
        n += e.load(std::memory_order_relaxed);
    return n;
}

bool Vcpu::run_once() {
    if (::ioctl(m_fd.get(), KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return !m_stopping.load();
        m_vm.stop_with(kExitError,
                       "vCPU " + std::to_string(m_id) + ": KVM_RUN: " + std::strerror(errno));
        return false;
    }
    return handle_exit();
}

const char* Vcpu::exit_kind_name(ExitKind k) noexcept {
    switch (k) {
    case ExitKind::hypercall: return "hypercall";
    case ExitKind::notify: return "notify";
    case ExitKind::pio: return "pio";
    case ExitKind::mmio: return "mmio";
    case ExitKind::intr: return "intr";
    case ExitKind::other: return "other";
    case ExitKind::count_: break;
    }
    return "?";
}

bool Vcpu::handle_io() {
    kvm_run& r = run_area();
    count(r.io.port == PV_HCALL_PORT    ? ExitKind::hypercall
          : r.io.port == PV_NOTIFY_PORT ? ExitKind::notify
                                        : ExitKind::pio);
    auto* data = reinterpret_cast<std::uint8_t*>(&r) + r.io.data_offset;
    for (std::uint32_t i = 0; i < r.io.count; ++i)
        m_vm.port_io(*this, r.io.port, r.io.direction == KVM_EXIT_IO_OUT, data + i * r.io.size,
                     r.io.size);
    return !m_vm.stopping();
}

bool Vcpu::handle_exit() {
    kvm_run& r = run_area();
    switch (r.exit_reason) {
    case KVM_EXIT_IO:
        return handle_io();
    case KVM_EXIT_MMIO:
        count(ExitKind::mmio);
        m_vm.mmio(r.mmio.phys_addr, r.mmio.is_write != 0, r.mmio.data,
                  std::min<unsigned>(r.mmio.len, sizeof r.mmio.data));
        return !m_vm.stopping();
    case KVM_EXIT_HLT:
        return true;
    case KVM_EXIT_INTR:
        count(ExitKind::intr);
        return !m_stopping.load();
    case KVM_EXIT_SHUTDOWN:
        m_vm.stop_with(kExitTripleFault, "guest triple fault on vCPU " + std::to_string(m_id) +
                                             " (" + register_summary() + ")");
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        if (r.system_event.type == KVM_SYSTEM_EVENT_RESET)
            m_vm.stop_with(kExitReboot, "guest reset (KVM system event)");
        else
            m_vm.stop_with(kExitPoweroff, "guest powered off (KVM system event)");
        return false;
    default:
        m_vm.stop_with(kExitError, "vCPU " + std::to_string(m_id) + ": unhandled exit reason " +
                                       std::to_string(r.exit_reason) + " (" +
                                       register_summary() + ")");
        return false;
    }
}

std::string Vcpu::register_summary() const {
    kvm_regs regs{};
    kvm_sregs sregs{};
    if (::ioctl(m_fd.get(), KVM_GET_REGS, &regs) < 0 || ::ioctl(m_fd.get(), KVM_GET_SREGS, &sregs) < 0)
        return "registers unreadable";
    // AMD: KVM re-initialises the vCPU on a SHUTDOWN intercept, so after a triple fault the
    // registers are the reset state, not the faulting one.
    constexpr std::uint64_t kResetRip = 0xFFF0;
    constexpr std::uint64_t kResetCr0 = 0x60000010;
    if (regs.rip == kResetRip && (sregs.cr0 == kResetCr0 || sregs.cr0 == 0x10))
        return "registers lost: KVM already reset the vCPU";
    char buf[128];
    std::snprintf(buf, sizeof buf, "rip %#llx rsp %#llx cr0 %#llx cr3 %#llx", regs.rip, regs.rsp,
                  sregs.cr0, sregs.cr3);
    return buf;
}

unsigned Vcpu::cpl() const {
    kvm_sregs s{};
    if (::ioctl(m_fd.get(), KVM_GET_SREGS, &s) < 0)
        return 3; // unknown: least privileged
    return s.ss.dpl;
}

Result<std::uint64_t> Vcpu::translate_gva(std::uint64_t gva, bool write) {
    kvm_translation t{};
    t.linear_address = gva;
    if (::ioctl(m_fd.get(), KVM_TRANSLATE, &t) < 0 || t.valid == 0 || (write && t.writeable == 0))
        return Errc::bad_address;
    return static_cast<std::uint64_t>(t.physical_address);
}

Result<std::uint64_t> Vcpu::guest_tsc() {
    kvm::FlexBuffer<kvm_msr_entry> msrs(1);
    msrs.entries()[0] = kvm_msr_entry{};
    msrs.entries()[0].index = kMsrTsc;
    if (::ioctl(m_fd.get(), kvm::kGetMsrs, msrs.data()) != 1)
        return Errc::system_error;
    return static_cast<std::uint64_t>(msrs.entries()[0].data);
}

std::uint64_t Vcpu::tsc_khz() const {
    const int khz = ::ioctl(m_fd.get(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<std::uint64_t>(khz) : 0;
}

} // namespace pvisor
