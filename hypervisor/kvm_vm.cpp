// kvm_vm.cpp: VM creation, memory slots, irqchip/PIT, legacy port I/O and shutdown.
#include "kvm_vm.hpp"

#include "arch/kvm_abi.hpp"
#include "arch/x86_boot.hpp"
#include "boot/bzimage.hpp"
#include "cli.hpp"

#include <pv/pvisor.h>

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace pvisor {
namespace {

constexpr std::uint64_t kTssAddr = 0xFFFBD000;
constexpr std::uint64_t kIdentityMapAddr = 0xFFFBC000;
constexpr unsigned kMaxCpuidEntries = 256;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

Result<std::vector<kvm_cpuid_entry2>> query_supported_cpuid(int kvm) {
    kvm::FlexBuffer<kvm_cpuid_entry2> buf(kMaxCpuidEntries);
    if (::ioctl(kvm, kvm::kGetSupportedCpuid, buf.data()) < 0)
        return Errc::system_error;
    return std::vector<kvm_cpuid_entry2>(buf.entries(), buf.entries() + buf.count());
}

} // namespace

Result<std::unique_ptr<Vm>> Vm::create(const VmConfig& config, std::string& why) {
    UniqueFd kvm(::open(config.kvm_device.c_str(), O_RDWR | O_CLOEXEC));
    if (!kvm.valid()) {
        why = errno_text(config.kvm_device.c_str());
        return Errc::not_found;
    }
    if (::ioctl(kvm.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        why = config.kvm_device + ": unsupported KVM API version";
        return Errc::not_supported;
    }
    const int max_vcpus = ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_vcpus > 0 && config.vcpus > static_cast<unsigned>(max_vcpus)) {
        why = "--vcpus " + std::to_string(config.vcpus) + ": more than KVM's maximum of " +
              std::to_string(max_vcpus);
        return Errc::invalid_argument;
    }
    UniqueFd vm(::ioctl(kvm.get(), KVM_CREATE_VM, 0));
    if (!vm.valid()) {
        why = errno_text("KVM_CREATE_VM");
        return Errc::system_error;
    }
    auto mem = GuestMemory::create(config.memory_bytes, PV_SPECIAL_PAGES_GPA, PV_SPECIAL_PAGES_COUNT);
    if (!mem.ok()) {
        why = "--memory: cannot allocate guest RAM (" + std::string(errc_name(mem.error())) + ")";
        return mem.error();
    }
    std::unique_ptr<Vm> self(new Vm(std::move(kvm), std::move(vm), std::move(*mem), config.vcpus));
    PV_TRY(self->setup(why));
    return self;
}

Status Vm::setup(std::string& why) {
    std::uint32_t slot = 0;
    for (const GuestRegion& r : m_mem.regions()) {
        kvm_userspace_memory_region region{};
        region.slot = slot++;
        region.guest_phys_addr = r.gpa;
        region.memory_size = r.size;
        region.userspace_addr = reinterpret_cast<std::uint64_t>(r.host);
        if (::ioctl(m_vm.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0) {
            why = errno_text("KVM_SET_USER_MEMORY_REGION");
            return Errc::system_error;
        }
    }
    std::uint64_t identity = kIdentityMapAddr;
    // No KVM_PIT_SPEAKER_DUMMY: KVM itself then serves port 0x61 (channel 2 gate and OUT2),
    // which Linux needs to calibrate the TSC and the LAPIC timer against the PIT.
    kvm_pit_config pit{};
    if (::ioctl(m_vm.get(), KVM_SET_TSS_ADDR, kTssAddr) < 0 ||
        ::ioctl(m_vm.get(), KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0 ||
        ::ioctl(m_vm.get(), KVM_CREATE_IRQCHIP, 0) < 0 ||
        ::ioctl(m_vm.get(), KVM_CREATE_PIT2, &pit) < 0) {
        why = errno_text("KVM irqchip/PIT setup");
        return Errc::system_error;
    }
    const int run_size = ::ioctl(m_kvm.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
    auto cpuid = query_supported_cpuid(m_kvm.get());
    if (run_size <= 0 || !cpuid.ok()) {
        why = errno_text("KVM_GET_SUPPORTED_CPUID");
        return Errc::system_error;
    }
    m_run_size = static_cast<std::size_t>(run_size);
    m_cpuid = std::move(*cpuid);
    m_tsc_deadline = ::ioctl(m_kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
    return setup_interrupts(why);
}

namespace {
// Both 8259s as a PC BIOS leaves them: every IRQ masked, vectors at 0x08 and 0x70. KVM creates
// them unmasked with vector base 0, and BSP's LINT0 passes their ExtINT on. A guest on the MP
// table programs them itself; one on hardware-reduced ACPI never touches them (Linux then
// uses no legacy PIC), and an ISA IRQ (the 8250's IRQ 4) would arrive as vector 4 (#OF).
Status mask_pics(int vm_fd) {
    for (const auto& [chip, base] : {std::pair{KVM_IRQCHIP_PIC_MASTER, 0x08},
                                     std::pair{KVM_IRQCHIP_PIC_SLAVE, 0x70}}) {
        kvm_irqchip c{};
        c.chip_id = static_cast<std::uint32_t>(chip);
        if (::ioctl(vm_fd, KVM_GET_IRQCHIP, &c) < 0)
            return Errc::system_error;
        c.chip.pic.imr = 0xFF;
        c.chip.pic.irq_base = static_cast<std::uint8_t>(base);
        if (::ioctl(vm_fd, KVM_SET_IRQCHIP, &c) < 0)
            return Errc::system_error;
    }
    return {};
}
} // namespace

// The PC's legacy routing, then the platform device whose MSI-X vectors carry the upcalls.
Status Vm::setup_interrupts(std::string& why) {
    if (!mask_pics(m_vm.get()).ok()) {
        why = errno_text("KVM_SET_IRQCHIP (8259 masks)");
        return Errc::system_error;
    }
    m_routing = std::make_unique<IrqRouting>(m_vm.get());
    if (!m_routing->install_legacy().ok()) {
        why = errno_text("KVM_SET_GSI_ROUTING");
        return Errc::system_error;
    }
    auto dev = PvPlatformDevice::create(m_vm.get(), *m_routing, m_vcpu_count, [this](unsigned i) {
        if (m_hooks != nullptr)
            m_hooks->upcall_enabled(i);
    });
    if (!dev.ok()) {
        why = errno_text("platform device (KVM_IRQFD)");
        return dev.error();
    }
    m_platform = std::move(*dev);
    m_pci.attach(PvPlatformDevice::kSlot, m_platform.get());
    return {};
}

Vm::~Vm() {
    for (auto& v : m_vcpus)
        v->stop();
}

void Vm::attach_serial(int out_fd, Serial8250::Tap tap) {
    m_serial = std::make_unique<Serial8250>(
        out_fd, [this](bool level) { set_irq_line(Serial8250::kIrq, level); }, std::move(tap));
}

namespace {
// Firmware on a PC routes the 8259's ExtINT through LAPIC LINT0 and NMIs through LINT1; a
// kernel booted without firmware expects the same (as Firecracker and crosvm set them).
Status set_lint(int vcpu_fd) {
    constexpr std::size_t kLvtLint0 = 0x350;
    constexpr std::size_t kLvtLint1 = 0x360;
    constexpr std::uint32_t kDeliveryMask = 0x700;
    kvm_lapic_state lapic{};
    if (::ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
        return Errc::system_error;
    auto set_mode = [&lapic](std::size_t off, std::uint32_t mode) {
        std::uint32_t v = 0;
        std::memcpy(&v, lapic.regs + off, sizeof v);
        v = (v & ~kDeliveryMask) | (mode << 8);
        std::memcpy(lapic.regs + off, &v, sizeof v);
    };
    set_mode(kLvtLint0, 0x7); // ExtINT
    set_mode(kLvtLint1, 0x4); // NMI
    if (::ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
        return Errc::system_error;
    return {};
}
} // namespace

Status Vm::create_vcpus(std::uint64_t rip, std::uint64_t rsi, std::uint64_t rsp) {
    for (unsigned i = 0; i < m_vcpu_count; ++i) {
        PV_TRY_ASSIGN(v, Vcpu::create(*this, i));
        const auto entries = vcpu_cpuid(m_cpuid, i, m_vcpu_count, m_tsc_deadline);
        kvm::FlexBuffer<kvm_cpuid_entry2> buf(entries.size());
        std::memcpy(buf.entries(), entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
        if (::ioctl(v->fd(), kvm::kSetCpuid2, buf.data()) < 0)
            return Errc::system_error;
        PV_TRY(set_lint(v->fd()));
        if (i == 0) {
            kvm_sregs s{};
            if (::ioctl(v->fd(), KVM_GET_SREGS, &s) < 0)
                return Errc::system_error;
            set_long_mode_sregs(s, kPml4Gpa, kGdtGpa);
            kvm_regs r{};
            r.rip = rip;
            r.rsi = rsi;
            r.rsp = rsp;
            r.rflags = 2;
            if (::ioctl(v->fd(), KVM_SET_SREGS, &s) < 0 || ::ioctl(v->fd(), KVM_SET_REGS, &r) < 0)
                return Errc::system_error;
        } else {
            // APs wait for the guest's INIT/SIPI inside KVM.
            kvm_mp_state mp{KVM_MP_STATE_UNINITIALIZED};
            if (::ioctl(v->fd(), KVM_SET_MP_STATE, &mp) < 0)
                return Errc::system_error;
        }
        m_vcpus.push_back(std::move(v));
    }
    return {};
}

Status Vm::restore_vcpus(const std::vector<snapshot::VcpuState>& vcpus, std::uint32_t tsc_khz,
                         std::string& why) {
    if (vcpus.size() != m_vcpu_count) {
        why = "the stream has " + std::to_string(vcpus.size()) + " vCPUs, the VM " +
              std::to_string(m_vcpu_count);
        return Errc::invalid_argument;
    }
    for (unsigned i = 0; i < m_vcpu_count; ++i) {
        PV_TRY_ASSIGN(v, Vcpu::create(*this, i));
        const int khz = ::ioctl(v->fd(), KVM_GET_TSC_KHZ, 0);
        if (tsc_khz != 0 && khz > 0 && static_cast<std::uint32_t>(khz) != tsc_khz &&
            ::ioctl(v->fd(), KVM_SET_TSC_KHZ, static_cast<unsigned long>(tsc_khz)) < 0) {
            why = "vCPU " + std::to_string(i) + ": the stream's TSC runs at " +
                  std::to_string(tsc_khz) + " kHz, this host's at " + std::to_string(khz) +
                  " kHz, and KVM cannot scale it: " + std::strerror(errno);
            return Errc::not_supported;
        }
        std::string what;
        if (!snapshot::restore_vcpu(v->fd(), vcpus[i], what).ok()) {
            why = "vCPU " + std::to_string(i) + ": " + what;
            return Errc::not_supported;
        }
        m_vcpus.push_back(std::move(v));
    }
    return {};
}

Result<std::vector<snapshot::VcpuState>> Vm::capture_vcpus(std::string& why) {
    auto msrs = snapshot::msr_index_list(m_kvm.get());
    if (!msrs.ok()) {
        why = errno_text("KVM_GET_MSR_INDEX_LIST");
        return msrs.error();
    }
    std::vector<snapshot::VcpuState> out;
    for (auto& v : m_vcpus) {
        std::string what;
        auto st = snapshot::capture_vcpu(v->fd(), *msrs, what);
        if (!st.ok()) {
            why = "vCPU " + std::to_string(v->id()) + ": " + what;
            return st.error();
        }
        out.push_back(std::move(*st));
    }
    return out;
}

std::uint32_t Vm::guest_tsc_khz() const {
    if (m_vcpus.empty())
        return 0;
    const int khz = ::ioctl(m_vcpus[0]->fd(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<std::uint32_t>(khz) : 0;
}

int Vm::run() {
    for (auto& v : m_vcpus) {
        if (!v->start().ok()) {
            stop_with(kExitError, "cannot start the vCPU threads");
            break;
        }
    }
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [this] { return m_exit_status.has_value(); });
    const int status = *m_exit_status;
    lock.unlock();
    if (m_hooks != nullptr)
        m_hooks->vcpus_stopping();
    for (auto& v : m_vcpus)
        v->stop();
    return status;
}

void Vm::stop_with(int status, std::string reason) {
    std::lock_guard lock(m_mu);
    if (!m_exit_status) {
        m_exit_status = status;
        m_exit_reason = std::move(reason);
    }
    m_cv.notify_all();
    m_pause_cv.notify_all(); // pause() stops waiting for the vCPUs
}

void Vm::pause() {
    std::lock_guard op(m_pause_op);
    if (!m_pause_requested.exchange(true) && m_hooks != nullptr)
        m_hooks->pause_changed(true);
    for (auto& v : m_vcpus)
        v->kick();
    // A vCPU that has not started parks before its first KVM_RUN; one that ended is gone.
    auto running = [this] {
        unsigned n = 0;
        for (const auto& v : m_vcpus)
            n += v->tid() != 0 && !v->stopping() ? 1U : 0U;
        return n;
    };
    std::unique_lock lock(m_mu);
    m_pause_cv.wait(lock, [&] { return m_exit_status.has_value() || m_parked >= running(); });
}

void Vm::unpause() {
    std::lock_guard op(m_pause_op);
    {
        std::lock_guard lock(m_mu);
        if (!m_pause_requested.exchange(false))
            return;
        m_pause_cv.notify_all();
    }
    if (m_hooks != nullptr)
        m_hooks->pause_changed(false);
}

bool Vm::paused() const { return m_pause_requested.load(); }

void Vm::pause_gate(Vcpu& vcpu) {
    std::unique_lock lock(m_mu);
    ++m_parked;
    m_pause_cv.notify_all();
    m_pause_cv.wait(lock, [&] { return !m_pause_requested.load() || vcpu.stopping(); });
    --m_parked;
}

void Vm::wake_parked() {
    std::lock_guard lock(m_mu);
    m_pause_cv.notify_all();
}

std::string Vm::exit_reason() const {
    std::lock_guard lock(m_mu);
    return m_exit_reason;
}

bool Vm::stopping() const {
    std::lock_guard lock(m_mu);
    return m_exit_status.has_value();
}

void Vm::set_irq_line(unsigned irq, bool level) {
    kvm_irq_level l{};
    l.irq = irq;
    l.level = level ? 1 : 0;
    (void)::ioctl(m_vm.get(), KVM_IRQ_LINE, &l);
}

void Vm::port_io(Vcpu& vcpu, std::uint16_t port, bool is_write, std::uint8_t* data, unsigned size) {
    if (port == PV_HCALL_PORT && !is_write && size == 4 && m_hooks != nullptr) {
        kvm_regs r{};
        std::int32_t ret = -38; // -ENOSYS if registers cannot be read
        if (::ioctl(vcpu.fd(), KVM_GET_REGS, &r) == 0) {
            HypercallRegs h;
            h.nr = r.rax & 0xFFFFFFFFU;
            h.args[0] = r.rdi;
            h.args[1] = r.rsi;
            h.args[2] = r.rdx;
            h.args[3] = r.r10;
            h.args[4] = r.r8;
            ret = m_hooks->hypercall(vcpu, h);
        }
        std::memcpy(data, &ret, 4);
        return;
    }
    if (port == PV_NOTIFY_PORT && is_write && size == 4 && m_hooks != nullptr) {
        std::uint32_t evport = 0;
        std::memcpy(&evport, data, 4);
        m_hooks->notify(vcpu, evport);
        return;
    }
    if (PciBus::claims(port)) {
        m_pci.io(port, is_write, data, size);
        return;
    }
    if (port >= Serial8250::kBase && port < Serial8250::kBase + 8 && m_serial && size == 1) {
        const unsigned off = port - Serial8250::kBase;
        if (is_write)
            m_serial->write(off, data[0]);
        else
            data[0] = m_serial->read(off);
        return;
    }
    if (port == 0x64 && is_write && data[0] == 0xFE) { // i8042 pulse reset line
        stop_with(kExitReboot, "guest reset the machine through the i8042");
        return;
    }
    if (!is_write) {
        // Absent devices read as all ones, the i8042 too: its driver then finds "no
        // controller" after 16 reads (a status of 0 made it poll 10,000 times, twice, at
        // 50 us each). CMOS data reads 0: a zero time rather than garbage.
        const bool zero = port == 0x71;
        std::memset(data, zero ? 0 : 0xFF, size);
    }
}

void Vm::mmio(std::uint64_t gpa, bool is_write, std::uint8_t* data, unsigned len) {
    if (m_platform && m_platform->mmio(gpa, is_write, data, len))
        return;
    if (!is_write)
        std::memset(data, 0xFF, len);
}

void Vm::append_counters(std::string& out) const {
    auto line = [&out](const std::string& name, std::uint64_t v) {
        out += name + ' ' + std::to_string(v) + '\n';
    };
    for (const auto& v : m_vcpus) {
        const std::string prefix = "vcpu" + std::to_string(v->id()) + ".exits.";
        for (std::size_t k = 0; k < Vcpu::kExitKinds; ++k) {
            const auto kind = static_cast<Vcpu::ExitKind>(k);
            line(prefix + Vcpu::exit_kind_name(kind), v->exits(kind));
        }
    }
    for (unsigned i = 0; m_platform && i < m_vcpu_count; ++i) {
        line("upcall" + std::to_string(i) + ".raised", m_platform->raised(i));
        line("upcall" + std::to_string(i) + ".latched", m_platform->latched(i));
    }
}

void Vm::raise_upcall(unsigned vcpu) {
    if (m_platform)
        m_platform->raise(vcpu);
}

void Vm::request_shutdown(ShutdownReason reason) {
    switch (reason) {
    case ShutdownReason::poweroff: stop_with(kExitPoweroff, "guest powered off"); break;
    case ShutdownReason::reboot: stop_with(kExitReboot, "guest asked to reboot"); break;
    case ShutdownReason::triple_fault: stop_with(kExitTripleFault, "guest triple fault"); break;
    case ShutdownReason::crash: stop_with(kExitCrash, "guest reported a crash"); break;
    case ShutdownReason::watchdog: stop_with(kExitWatchdog, "guest watchdog fired"); break;
    }
}

Status Vm::notify_eventfd(std::uint32_t port, int eventfd, bool remove) {
    kvm_ioeventfd io{};
    io.datamatch = port;
    io.addr = PV_NOTIFY_PORT;
    io.len = 4;
    io.fd = eventfd;
    io.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
               (remove ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0U);
    if (::ioctl(m_vm.get(), KVM_IOEVENTFD, &io) < 0)
        return errno == EEXIST ? Errc::exists : Errc::system_error;
    return {};
}

Status Vm::add_notify_eventfd(std::uint32_t port, int eventfd) {
    return notify_eventfd(port, eventfd, false);
}

Status Vm::remove_notify_eventfd(std::uint32_t port, int eventfd) {
    return notify_eventfd(port, eventfd, true);
}

} // namespace pvisor
