// cli.cpp: `pvisor run` argument parsing and usage text.
#include "cli.hpp"

#include "devices/net_store_nodes.hpp"
#include "devices/vbd_numbering.hpp"
#include "guest_memory.hpp"
#include "size_parse.hpp"

#include <charconv>
#include <pv/pvisor.h>
#include <pv/xen.h>

namespace pvisor {
namespace {

Result<unsigned> parse_vcpus(const std::string& text, std::string& error) {
    unsigned n = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc{} || ptr != end || text.empty() || n == 0) {
        error = "--vcpus " + text + ": not a positive number";
        return Errc::invalid_argument;
    }
    if (n > PV_MAX_VCPUS) {
        error = "--vcpus " + text + ": more than pvisor's maximum of " +
                std::to_string(PV_MAX_VCPUS);
        return Errc::invalid_argument;
    }
    return n;
}

Result<std::uint64_t> parse_memory(const std::string& text, std::string& error) {
    auto size = parse_size(text);
    if (!size.ok()) {
        error = "--memory " + text + ": " +
                (size.error() == Errc::too_big ? "too large" : "not a size (e.g. 512M, 2G)");
        return Errc::invalid_argument;
    }
    if (*size % kPageSize != 0) {
        error = "--memory " + text + ": not a multiple of 4 KiB";
        return Errc::invalid_argument;
    }
    return *size;
}

// --disk SPEC: disk_spec.hpp's grammar, at most kBlkMaxDisks, and no
// image twice (two queues writing one file through separate caches would corrupt it).
Status add_disk(RunOptions& opt, const std::string& spec, std::string& error) {
    std::string why;
    auto cfg = parse_disk_spec(spec, &why);
    if (!cfg.ok()) {
        error = why.replace(0, std::string_view("--disk").size(), "--disk " + spec);
        return Errc::invalid_argument;
    }
    if (opt.disks.size() == kBlkMaxDisks) {
        error =
            "--disk " + spec + ": more than " + std::to_string(kBlkMaxDisks) + " disks";
        return Errc::invalid_argument;
    }
    for (const DiskOption& d : opt.disks) {
        if (d.config.path == cfg->path) {
            error = "--disk " + spec + ": " + cfg->path + " is already a disk";
            return Errc::invalid_argument;
        }
    }
    opt.disks.push_back({spec, std::move(cfg).value()});
    return {};
}

// --net SPEC: net_spec.hpp's grammar, at most kMaxVifs, no TAP twice (one TAP serves one
// interface) and no guest MAC twice (two interfaces of one guest with one address: neither
// would work).
Status add_net(RunOptions& opt, const std::string& spec, std::string& error) {
    std::string why;
    auto cfg = parse_net_spec(spec, &why);
    if (!cfg.ok()) {
        error = why.replace(0, std::string_view("--net").size(), "--net " + spec);
        return Errc::invalid_argument;
    }
    if (opt.nets.size() == kMaxVifs) {
        error = "--net " + spec + ": more than " + std::to_string(kMaxVifs) +
                " network interfaces";
        return Errc::invalid_argument;
    }
    const auto index = static_cast<unsigned>(opt.nets.size());
    const MacAddress mac = vif_guest_mac(PV_DOMID_GUEST, index, *cfg);
    for (unsigned i = 0; i < opt.nets.size(); ++i) {
        const NetSpec& other = opt.nets[i].config;
        if (other.tap == cfg->tap) {
            error = "--net " + spec + ": tap " + cfg->tap + " is already a --net";
            return Errc::invalid_argument;
        }
        if (vif_guest_mac(PV_DOMID_GUEST, i, other) == mac) {
            error = "--net " + spec + ": mac " + format_mac(mac) +
                    " is already the guest's on --net " + opt.nets[i].spec;
            return Errc::invalid_argument;
        }
    }
    opt.nets.push_back({spec, std::move(cfg).value()});
    return {};
}

} // namespace

Result<RunOptions> parse_run_args(const std::vector<std::string>& args, std::string& error) {
    RunOptions opt;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            opt.help = true;
            return opt;
        }
        const bool takes_value = a == "--kernel" || a == "--initrd" || a == "--cmdline" ||
                                 a == "--memory" || a == "--vcpus" || a == "--console" ||
                                 a == "--control" || a == "--metrics" || a == "--disk" ||
                                 a == "--blkback" || a == "--net" || a == "--netback";
        if (!takes_value) {
            error = a + ": unknown option (see pvisor run --help)";
            return Errc::invalid_argument;
        }
        if (i + 1 >= args.size()) {
            error = a + ": missing value";
            return Errc::invalid_argument;
        }
        const std::string& v = args[++i];
        if (a == "--kernel") {
            opt.kernel = v;
        } else if (a == "--initrd") {
            opt.initrd = v;
        } else if (a == "--cmdline") {
            opt.cmdline = v;
        } else if (a == "--control") {
            opt.control_dir = v;
        } else if (a == "--metrics") {
            opt.metrics_path = v;
        } else if (a == "--disk") {
            PV_TRY(add_disk(opt, v, error));
        } else if (a == "--blkback") {
            opt.blkback = v;
        } else if (a == "--net") {
            PV_TRY(add_net(opt, v, error));
        } else if (a == "--netback") {
            opt.netback = v;
        } else if (a == "--memory") {
            PV_TRY_ASSIGN(bytes, parse_memory(v, error));
            opt.memory_bytes = bytes;
        } else if (a == "--vcpus") {
            PV_TRY_ASSIGN(n, parse_vcpus(v, error));
            opt.vcpus = n;
        } else if (v == "pv" || v == "serial") {
            opt.console = v == "pv" ? ConsoleKind::pv : ConsoleKind::serial;
        } else {
            error = "--console " + v + ": must be pv or serial";
            return Errc::invalid_argument;
        }
    }
    if (opt.kernel.empty()) {
        error = "run: --kernel is required";
        return Errc::invalid_argument;
    }
    return opt;
}

const char* main_usage() {
    return "usage: pvisor run --kernel BZIMAGE [options]   boot a Linux guest on KVM\n"
           "       pvisor store OP ...                     talk to a running guest's store\n"
           "       pvisor version                          print the version\n"
           "       pvisor --help | run --help\n";
}

const char* run_usage() {
    return "usage: pvisor run --kernel BZIMAGE [--initrd FILE] [--cmdline STR]\n"
           "                  [--memory SIZE] [--vcpus N] [--console pv|serial] [--control DIR]\n"
           "                  [--metrics FILE] [--disk SPEC]... [--blkback PATH]\n"
           "                  [--net SPEC]... [--netback PATH]\n"
           "  --memory SIZE   guest RAM: bytes or with K/M/G suffix (default 512M)\n"
           "  --vcpus N       virtual CPUs (default 1)\n"
           "  --console KIND  where stdin goes: pv (hvc0, default) or serial (ttyS0);\n"
           "                  ttyS0 output always goes to stdout\n"
           "  --metrics FILE  rewrite FILE every second with the guest's counters (\"name value\"\n"
           "                  lines: exits, hypercalls, event channels, upcalls, grants, console)\n"
           "  --disk SPEC     a PV disk: path[,ro][,queues=N][,direct=on|off] (up to 16; the\n"
           "                  first is xvda, then xvdb...), served by one pvisor-blkback\n"
           "                  process that pvisor starts and stops\n"
           "  --blkback PATH  the pvisor-blkback to run (default: next to pvisor, else $PATH)\n"
           "  --net SPEC      a PV network interface: tap=NAME[,bridge=BR][,mac=MAC][,queues=N]\n"
           "                  (up to 8; the first is vif 0, then 1...): the host TAP NAME\n"
           "                  (created if missing, added to the existing bridge BR), the guest's\n"
           "                  MAC (default 02:50:56:00:01:<vif>), queues 1..8; served by one\n"
           "                  pvisor-netback process that pvisor starts and stops\n"
           "  --netback PATH  the pvisor-netback to run (default: next to pvisor, else $PATH)\n"
           "  --cmdline STR   default \"console=ttyS0 acpi=off\"; pvisor has no ACPI tables,\n"
           "                  SMP comes from the MP table\n"
           "On a terminal the console is raw (Ctrl-C reaches the guest); Ctrl-] stops the guest.\n"
           "exit status: 0 poweroff, 1 error, 2 usage, 3 reboot, 4 triple fault,\n"
           "             5 guest crash, 6 watchdog, 7 stopped (SIGINT/SIGTERM/SIGHUP or Ctrl-])\n";
}

} // namespace pvisor
