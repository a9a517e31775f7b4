// run_command.cpp: boots a bzImage in a fresh VM with the PV services attached.
#include "run_command.hpp"

#include "arch/x86_boot.hpp"
#include "boot/acpi_tables.hpp"
#include "boot/bzimage.hpp"
#include "boot/mptable.hpp"
#include "console_hub.hpp"
#include "control_server.hpp"
#include "devices/backend_gone.hpp"
#include "devices/backend_process.hpp"
#include "devices/blk_store_nodes.hpp"
#include "devices/net_store_nodes.hpp"
#include "domain_restorer.hpp"
#include "domain_saver.hpp"
#include "exit_record.hpp"
#include "host_terminal.hpp"
#include "kvm_vm.hpp"
#include "metrics_file.hpp"
#include "mgmt/mgmt_target.hpp"
#include "pv_console.hpp"
#include "pv_services.hpp"
#include "store_cli.hpp"
#include "store_client.hpp"
#include "store_service.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace pvisor {
namespace {

constexpr std::uint64_t kKernel64Entry = 0x200; // 64-bit entry: load address + 0x200
constexpr std::uint64_t kMaxImageBytes = 1ULL << 31;

// The last failure reported by fail(), for the exit record (pvisor runs one guest, and its
// start-up on one thread).
std::string& last_failure() {
    static std::string text;
    return text;
}

int fail(const std::string& what, const std::string& why) {
    std::fprintf(stderr, "pvisor: %s: %s\n", what.c_str(), why.c_str());
    last_failure() = what + ": " + why;
    return kExitError;
}

std::string control_dir(const RunOptions& opt) {
    return opt.control_dir.empty() ? store::default_control_dir() : opt.control_dir;
}

// Reads a whole regular file; `why` gets the reason on failure.
Result<std::vector<std::uint8_t>> read_file(const std::string& path, std::string& why) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        why = std::strerror(errno);
        return Errc::not_found;
    }
    std::vector<std::uint8_t> data;
    std::uint8_t buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            why = std::strerror(errno);
            return Errc::io_error;
        }
        if (n == 0)
            break;
        data.insert(data.end(), buf, buf + n);
        if (data.size() > kMaxImageBytes) {
            why = "file too large";
            return Errc::too_big;
        }
    }
    return data;
}

void stop_from_console(Vm& vm) {
    vm.stop_with(kExitStopped, "stopped from the console (Ctrl-])");
}

// Copies stdin to the UART until `stop_fd` is signalled (only with --console serial). On a
// terminal, the escape key stops the guest instead of reaching it.
void serial_input_loop(Vm& vm, bool escape, int stop_fd) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    char buf[256];
    while (::poll(fds, 2, -1) >= 0 && (fds[1].revents & POLLIN) == 0) {
        if ((fds[0].revents & (POLLIN | POLLHUP)) == 0)
            continue;
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n <= 0)
            return;
        const auto len = static_cast<std::size_t>(n);
        const std::size_t keep = escape ? bytes_before_escape(buf, len) : len;
        vm.serial()->push_input(reinterpret_cast<const std::uint8_t*>(buf), keep);
        if (keep < len)
            stop_from_console(vm);
    }
}

// Starts the config store on the guest's store ring and on <control dir>/store.sock. Without
// a usable socket path the guest still gets its store (warned once on stderr).
Result<std::unique_ptr<store::StoreService>> start_store(Vm& vm, PvServices& pv,
                                                         const RunOptions& opt, int notify_fd,
                                                         const std::string* restore_from) {
    PV_TRY(pv.connect_host_port(pv.store_port(), notify_fd));
    PV_TRY_ASSIGN(page, store::store_ring_page(vm.memory()));
    store::StoreConfig cfg;
    cfg.socket_path = store::store_socket_path(control_dir(opt));
    cfg.guest_domid = opt.domid;
    cfg.guest_name = opt.name;
    cfg.ring_page = page;
    cfg.store_evtchn = pv.store_port();
    const std::uint32_t port = pv.store_port();
    PvServices* services = &pv;
    cfg.notify_guest = [services, port] { services->raise_host_port(port); };
    cfg.guest_notify_fd = notify_fd;
    if (restore_from != nullptr)
        cfg.restore_from = *restore_from;
    auto svc = store::StoreService::create(cfg);
    if (!svc.ok()) {
        std::fprintf(stderr, "pvisor: store: cannot listen on %s: %s; host access disabled\n",
                     cfg.socket_path.c_str(), std::string(errc_name(svc.error())).c_str());
        cfg.socket_path.clear();
        svc = store::StoreService::create(cfg);
    }
    if (svc.ok())
        PV_TRY((*svc)->start());
    return svc;
}

// <control dir>/guest.ctl: where backends (pvisor-blkback) attach.
std::string control_socket_path(const RunOptions& opt) { return control_dir(opt) + "/guest.ctl"; }

// Starts the control socket <control dir>/guest.ctl, where backends (pvisor-blkback) attach.
// Without it the guest still runs, with no backends (warned once on stderr). `store`: the
// VMM's own store, or null in managed mode (--store), where the toolstack takes the guest's
// store ring over this socket and `store_notify_fd` is what the guest's store sends signal.
std::unique_ptr<ControlServer> start_control(Vm& vm, PvServices& pv, const RunOptions& opt,
                                             store::StoreService* store, int store_notify_fd) {
    ControlConfig cc;
    cc.socket_path = control_socket_path(opt);
    cc.domid = opt.domid;
    if (store != nullptr) {
        cc.store_socket_path = store::store_socket_path(control_dir(opt));
        cc.store_write = [store](const std::string& path, const std::string& value) {
            store->with_store([&](store::Store& s) { (void)write_backend_gone(s, path, value); });
        };
    } else {
        cc.store_socket_path = opt.store_socket;
        cc.store_notify_fd = store_notify_fd;
        cc.store_port = pv.store_port();
        cc.store_page_gpa = PV_SPECIAL_PAGES_GPA + PV_SPECIAL_PAGE_STORE * kPageSize;
        // Xen's rule for a backend that went away: Closing, Closed, unless the toolstack
        // removed the device or it is Closed already (write_backend_gone), through the
        // toolstack's store.
        const std::string sock = opt.store_socket;
        cc.store_write = [sock](const std::string& path, const std::string& value) {
            auto client = store::StoreClient::connect(sock);
            if (!client.ok())
                return;
            auto now = client->read(path);
            if (now.ok() && *now != "6")
                (void)client->write(path, value);
        };
    }
    auto server = ControlServer::create(pv, vm.memory(), cc);
    if (!server.ok()) {
        std::fprintf(stderr, "pvisor: control: cannot listen on %s: %s; no backends\n",
                     cc.socket_path.c_str(), std::string(errc_name(server.error())).c_str());
        return nullptr;
    }
    std::fprintf(stderr, "pvisor: control socket %s\n", cc.socket_path.c_str());
    return std::move(server).value();
}

// The --disk images must open as the backend will open them (read-only or read-write):
// a typo fails here, before the guest boots, rather than in the backend.
int check_disks(const RunOptions& opt) {
    for (const DiskOption& d : opt.disks) {
        UniqueFd fd(
            ::open(d.config.path.c_str(), (d.config.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC));
        if (!fd.valid())
            return fail("--disk " + d.spec, std::strerror(errno));
    }
    return kExitPoweroff;
}

// Where a backend process meets the guest: the store (its devices' nodes, and the socket it
// reads them through) and the control socket it attaches through.
struct BackendSite {
    store::StoreService* store; // null in managed mode: the toolstack starts backends
    std::string store_socket;
    const ControlServer* control;
    std::string control_socket;
    std::uint16_t domid;
};

// One backend process for all devices of a kind (`option`: --disk, --net): each device's store
// nodes first, as xl writes them, then the process, which finds them in the store.
template <typename DeviceOption, typename AddNodes>
Result<std::unique_ptr<BackendProcess>>
start_backend(const BackendKind& kind, const char* option, const std::vector<DeviceOption>& devices,
              const std::string& exe, const BackendSite& site, AddNodes add_nodes) {
    if (devices.empty())
        return std::unique_ptr<BackendProcess>();
    if (site.control == nullptr) {
        std::fprintf(stderr, "pvisor: %s: no control socket for %s\n", option, kind.name);
        return Errc::not_supported;
    }
    store::XsStatus st;
    if (site.store == nullptr)
        return Errc::not_supported;
    site.store->with_store([&](store::Store& s) {
        for (unsigned i = 0; i < devices.size() && st.ok(); ++i)
            st = add_nodes(s, i, devices[i].config);
    });
    if (!st.ok()) {
        std::fprintf(stderr, "pvisor: %s: store nodes refused (%s)\n", option,
                     std::string(store::xs_err_name(st.error())).c_str());
        return Errc::io_error;
    }
    std::string why;
    auto proc = BackendProcess::spawn(
        kind, BackendProcess::locate(kind, exe),
        backend_args(site.store_socket, site.domid, site.control_socket), why);
    if (!proc.ok())
        std::fprintf(stderr, "pvisor: %s: cannot start %s: %s\n", option, kind.name, why.c_str());
    return proc;
}

// <control dir>/console.sock; without it the guest runs with its console on stdio only.
std::unique_ptr<ConsoleHub> open_console_hub(const std::string& dir) {
    auto hub = ConsoleHub::create(dir + "/console.sock");
    if (!hub.ok()) {
        std::fprintf(stderr, "pvisor: console: cannot listen on %s/console.sock: %s\n", dir.c_str(),
                     std::string(errc_name(hub.error())).c_str());
        return nullptr;
    }
    return std::move(hub).value();
}

// Where bytes from console.sock go: stdin's way (the PV console, or the UART).
ConsoleHub::Input console_input(Vm& vm, PvServices& pv, ConsoleKind kind) {
    if (kind == ConsoleKind::pv)
        return [&pv](const char* data, std::size_t len) { pv.console_input(data, len); };
    return [&vm](const char* data, std::size_t len) {
        vm.serial()->push_input(reinterpret_cast<const std::uint8_t*>(data), len);
    };
}

// <control dir>/vmm.sock; without it the guest runs, unmanaged.
std::unique_ptr<mgmt::Server> open_mgmt_socket(const std::string& dir, mgmt::Target& target) {
    auto server = mgmt::Server::create(dir + "/vmm.sock", target);
    if (!server.ok()) {
        std::fprintf(stderr, "pvisor: management: cannot listen on %s/vmm.sock: %s\n",
                     dir.c_str(), std::string(errc_name(server.error())).c_str());
        return nullptr;
    }
    return std::move(server).value();
}

// Runs the guest whose memory and vCPUs are set up (booted or restored) with the PV services,
// store, control socket, backends, console and management sockets; returns the exit status.
// `restored`: the rest of a restored domain's state (PV services, platform device, store).
int serve(Vm& vm, const RunOptions& opt, const snapshot::DomainImage* restored) {
    // The console attach socket: what stdout gets, it gets too (declared before the PV
    // services, whose console writes to it, so that it outlives them).
    std::unique_ptr<ConsoleHub> hub = open_console_hub(control_dir(opt));
    ConsoleHub::Input tap;
    if (hub)
        tap = [h = hub.get()](const char* data, std::size_t len) { h->output(data, len); };
    vm.attach_serial(STDOUT_FILENO, tap);

    // Before any thread starts, so that all of them inherit the blocked stop signals.
    auto signals = StopSignals::start([&vm](int signo) {
        vm.stop_with(kExitStopped, std::string("stopped by SIG") + ::sigabbrev_np(signo));
    });
    if (!signals.ok())
        return fail("signals", std::strerror(errno));
    // The guest console owns an interactive terminal: raw, with Ctrl-] as the way out.
    const RawTerminal terminal(STDIN_FILENO);

    PvConfig pvc;
    pvc.vcpus = opt.vcpus;
    pvc.console_on_stdio = opt.console == ConsoleKind::pv;
    if (pvc.console_on_stdio)
        pvc.console_tap = tap;
    if (terminal.active())
        pvc.on_console_escape = [&vm] { stop_from_console(vm); };
    auto pv = PvServices::create(vm, pvc);
    if (!pv.ok())
        return fail("pv services", std::string(errc_name(pv.error())));
    if (restored != nullptr) {
        std::string why;
        if (!(*pv)->restore_state(restored->pv, why).ok())
            return fail("--restore " + opt.restore, why);
    }
    vm.set_hooks(pv->get());
    UniqueFd store_notify(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    std::unique_ptr<store::StoreService> store;
    if (opt.store_socket.empty()) {
        const std::string* snap = restored != nullptr && restored->store ? &*restored->store : nullptr;
        auto own = start_store(vm, **pv, opt, store_notify.get(), snap);
        if (!own.ok())
            return fail("store", std::string(errc_name(own.error())));
        store = std::move(*own);
    } else if (!(*pv)->connect_host_port((*pv)->store_port(), store_notify.get()).ok()) {
        return fail("store", "cannot connect the store port");
    }
    if (!(*pv)->start().ok())
        return fail("pv services", "cannot start");
    if (restored != nullptr) {
        // The MSI-X routes come back (upcalls the guest had enabled), then every vCPU with
        // events pending gets its upcall and every timer one expiry.
        if (!vm.platform_device().restore(restored->platform).ok())
            return fail("--restore " + opt.restore, "platform device: vector count differs");
        (*pv)->kick_pending();
    }
    std::unique_ptr<ControlServer> control =
        start_control(vm, **pv, opt, store.get(), store_notify.get());
    const std::uint16_t domid = opt.domid;
    const BackendSite site{store.get(), store::store_socket_path(control_dir(opt)), control.get(),
                           control_socket_path(opt), domid};
    auto blkback = start_backend(kBlkBackend, "--disk", opt.disks, opt.blkback, site,
                                 [domid](store::Store& s, unsigned i, const DiskSpec& c) {
                                     return add_blk_store_nodes(s, domid, i, c);
                                 });
    if (!blkback.ok())
        return kExitError;
    auto netback = start_backend(kNetBackend, "--net", opt.nets, opt.netback, site,
                                 [domid](store::Store& s, unsigned i, const NetSpec& c) {
                                     return add_vif_store_nodes(s, domid, i, c);
                                 });
    if (!netback.ok())
        return kExitError;

    PvServices* services = pv->get();
    ControlServer* ctl = control.get();
    auto counters = [&vm, services, ctl] {
        std::string out;
        vm.append_counters(out);
        services->append_counters(out);
        if (ctl != nullptr)
            ctl->append_counters(out);
        return out;
    };
    std::unique_ptr<MetricsFile> metrics;
    if (!opt.metrics_path.empty()) {
        auto m = MetricsFile::start(opt.metrics_path, counters, std::chrono::seconds(1));
        if (!m.ok())
            return fail("--metrics " + opt.metrics_path, std::strerror(errno));
        metrics = std::move(*m);
    }

    if (hub && !hub->start(console_input(vm, *services, opt.console)).ok())
        hub.reset();
    DomainSaver saver(vm, *services, store.get(), opt.domid, opt.name);
    mgmt::VmTarget target(vm, {opt.domid, opt.name, opt.memory_bytes}, counters, &saver);
    std::unique_ptr<mgmt::Server> mgmt = open_mgmt_socket(control_dir(opt), target);

    UniqueFd stop_input(::eventfd(0, EFD_CLOEXEC));
    std::thread input;
    if (opt.console == ConsoleKind::serial)
        input = std::thread(serial_input_loop, std::ref(vm), terminal.active(), stop_input.get());
    if (opt.start_paused)
        vm.pause(); // before the vCPU threads start: each parks before its first KVM_RUN
    const int status = vm.run();
    mgmt.reset(); // no requests on a VM going down
    const std::uint64_t one = 1;
    (void)!::write(stop_input.get(), &one, sizeof one);
    if (input.joinable())
        input.join();
    metrics.reset(); // the final figures, before the services go
    // Backends stopped and reaped while their control connections and the store still work.
    netback->reset();
    blkback->reset();
    control.reset(); // backends' ports unbound before the services stop
    if (store)
        store->stop();
    (*pv)->stop();
    hub.reset(); // its input goes to the PV services: stopped before they go
    std::fprintf(stderr, "pvisor: %s; exit status %d\n", vm.exit_reason().c_str(), status);
    return status;
}

// Whether the space-separated `words` hold `word`.
bool has_word(std::string_view words, std::string_view word) {
    while (!words.empty()) {
        const std::size_t end = std::min(words.find(' '), words.size());
        if (words.substr(0, end) == word)
            return true;
        words.remove_prefix(std::min(end + 1, words.size()));
    }
    return false;
}

// The tables that describe the machine: ACPI's (and no MP table, so that nothing but ACPI
// finds the CPUs), or with --acpi off the MP table alone.
Status write_platform_tables(const GuestMemory& mem, const RunOptions& opt) {
    if (!opt.acpi) {
        const auto mp = build_mptable(static_cast<std::uint32_t>(kMpTableGpa), opt.vcpus);
        return mem.write(kMpTableGpa, mp.data(), mp.size());
    }
    if (has_word(opt.cmdline, "acpi=off"))
        std::fprintf(stderr, "pvisor: --cmdline has acpi=off, but with --acpi on pvisor writes "
                             "no MP table: the guest will find one CPU and no PCI bus\n");
    const AcpiTables acpi = build_acpi_tables(kAcpiGpa, opt.vcpus);
    if (acpi.gpa + acpi.bytes.size() > kAcpiAreaEnd)
        return Errc::too_big;
    return mem.write(acpi.gpa, acpi.bytes.data(), acpi.bytes.size());
}

int boot(Vm& vm, const RunOptions& opt, const std::vector<std::uint8_t>& kernel,
         const std::vector<std::uint8_t>& initrd, const BzImageInfo& info) {
    std::string why;
    BootImages images{kernel, initrd, opt.cmdline};
    if (opt.acpi)
        images.acpi_rsdp = kAcpiGpa;
    if (!load_bzimage(vm.memory(), info, images, why).ok())
        return fail("--memory", why.empty() ? "cannot load the kernel" : why);
    if (!write_platform_tables(vm.memory(), opt).ok() ||
        !write_boot_tables(vm.memory(), kPml4Gpa, kGdtGpa).ok())
        return fail("boot", "cannot write boot tables");
    if (!vm.create_vcpus(kKernelGpa + kKernel64Entry, kZeroPageGpa, kBootStackTop).ok())
        return fail("vcpus", std::strerror(errno));
    return serve(vm, opt, nullptr);
}

// The VM's shape: memory and vCPUs from the options, /dev/kvm unless PVISOR_KVM_DEVICE.
VmConfig vm_config(const RunOptions& opt) {
    VmConfig vc;
    vc.memory_bytes = opt.memory_bytes;
    vc.vcpus = opt.vcpus;
    if (const char* dev = std::getenv("PVISOR_KVM_DEVICE"))
        vc.kvm_device = dev;
    return vc;
}

// --restore FILE: a VM shaped as the stream's DOMAIN record, its memory and state from the
// stream (every record checked before the guest runs), then served as a booted one.
int restore_and_run(RunOptions opt, std::string& reason) {
    const auto start = std::chrono::steady_clock::now();
    std::string why;
    auto stream = RestoreStream::open(opt.restore, why);
    if (!stream.ok())
        return fail("--restore", why);
    const snapshot::DomainRecord& d = (*stream)->domain();
    opt.memory_bytes = d.ram_bytes;
    opt.vcpus = d.vcpus;
    opt.domid = d.domid;
    opt.name = d.name;
    auto vm = Vm::create(vm_config(opt), why);
    if (!vm.ok())
        return fail("--restore", why);
    auto image = (*stream)->load((*vm)->memory(), why);
    if (!image.ok())
        return fail("--restore", why);
    if (!(*vm)->restore_vcpus(image->vcpus, d.tsc_khz, why).ok() ||
        !snapshot::restore_vm((*vm)->vm_fd(), image->vm, why).ok())
        return fail("--restore " + opt.restore, why);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::fprintf(stderr, "pvisor: restored domain %u (%s) from %s in %lld ms\n", opt.domid,
                 opt.name.c_str(), opt.restore.c_str(), static_cast<long long>(ms.count()));
    const int status = serve(**vm, opt, &*image);
    reason = (*vm)->exit_reason();
    return status;
}

// Loads the kernel and runs the guest; `reason` gets how it ended.
int load_and_run(const RunOptions& opt, std::string& reason) {
    std::string why;
    auto kernel = read_file(opt.kernel, why);
    if (!kernel.ok())
        return fail(opt.kernel, why);
    auto info = validate_bzimage(*kernel, why);
    if (!info.ok())
        return fail(opt.kernel, why);
    if (const int st = check_disks(opt); st != kExitPoweroff)
        return st;
    std::vector<std::uint8_t> initrd;
    if (!opt.initrd.empty()) {
        auto r = read_file(opt.initrd, why);
        if (!r.ok())
            return fail(opt.initrd, why);
        initrd = std::move(*r);
    }
    const std::uint64_t need =
        kKernelGpa + std::max<std::uint64_t>(kernel->size(), info->init_size) + initrd.size();
    if (opt.memory_bytes < need)
        return fail("--memory " + std::to_string(opt.memory_bytes >> 20) + "M",
                    "memory too small for kernel and initrd");

    auto vm = Vm::create(vm_config(opt), why);
    if (!vm.ok()) {
        std::fprintf(stderr, "pvisor: %s\n", why.c_str());
        return kExitError;
    }
    const int status = boot(**vm, opt, *kernel, initrd, *info);
    reason = (*vm)->exit_reason();
    return status;
}

} // namespace

int run_guest(const RunOptions& opt) {
    const std::string dir = control_dir(opt);
    ::mkdir(dir.c_str(), 0700); // may exist already; the sockets report a real problem
    remove_exit_record(dir);
    std::string reason;
    const int status = opt.restore.empty() ? load_and_run(opt, reason) : restore_and_run(opt, reason);
    if (reason.empty())
        reason = last_failure().empty() ? "pvisor failed" : last_failure();
    if (!write_exit_record(dir, status, reason).ok())
        std::fprintf(stderr, "pvisor: %s: %s\n", exit_record_path(dir).c_str(), std::strerror(errno));
    return status;
}

} // namespace pvisor
