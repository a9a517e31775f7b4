// cli.cpp: `pvisor run` argument parsing and usage text.
#include "cli.hpp"

#include "devices/net_store_nodes.hpp"
#include "devices/vbd_numbering.hpp"
#include "guest_memory.hpp"
#include "size_parse.hpp"

#include <algorithm>
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

Result<std::uint16_t> parse_domid(const std::string& text, std::string& error) {
    unsigned n = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (ec != std::errc{} || ptr != end || text.empty() || n == 0 || n > kMaxDomid) {
        error = "--domid " + text + ": must be a number from 1 to " + std::to_string(kMaxDomid);
        return Errc::invalid_argument;
    }
    return static_cast<std::uint16_t>(n);
}

Result<std::string> parse_name(const std::string& text, std::string& error) {
    auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    };
    if (text.empty() || text.size() > kMaxNameLength ||
        !std::all_of(text.begin(), text.end(), allowed)) {
        error = "--name " + text + ": must be 1 to " + std::to_string(kMaxNameLength) +
                " characters of A-Z a-z 0-9 _ . -";
        return Errc::invalid_argument;
    }
    return text;
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
// interface); MACs are checked after all options (check_macs).
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
    for (const NetOption& other : opt.nets) {
        if (other.config.tap == cfg->tap) {
            error = "--net " + spec + ": tap " + cfg->tap + " is already a --net";
            return Errc::invalid_argument;
        }
    }
    opt.nets.push_back({spec, std::move(cfg).value()});
    return {};
}

// No guest MAC twice (two interfaces of one guest with one address: neither would work).
// After all options: the default MACs depend on --domid.
Status check_macs(const RunOptions& opt, std::string& error) {
    for (unsigned j = 0; j < opt.nets.size(); ++j) {
        const MacAddress mac = vif_guest_mac(opt.domid, j, opt.nets[j].config);
        for (unsigned i = 0; i < j; ++i) {
            if (vif_guest_mac(opt.domid, i, opt.nets[i].config) == mac) {
                error = "--net " + opt.nets[j].spec + ": mac " + format_mac(mac) +
                        " is already the guest's on --net " + opt.nets[i].spec;
                return Errc::invalid_argument;
            }
        }
    }
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
        if (a == "--paused") {
            opt.start_paused = true;
            continue;
        }
        const bool takes_value = a == "--kernel" || a == "--initrd" || a == "--cmdline" ||
                                 a == "--memory" || a == "--vcpus" || a == "--console" ||
                                 a == "--control" || a == "--metrics" || a == "--disk" ||
                                 a == "--blkback" || a == "--net" || a == "--netback" ||
                                 a == "--store" || a == "--domid" || a == "--name" ||
                                 a == "--acpi" || a == "--restore";
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
        } else if (a == "--restore") {
            opt.restore = v;
        } else if (a == "--initrd") {
            opt.initrd = v;
        } else if (a == "--cmdline") {
            opt.cmdline = v;
        } else if (a == "--control") {
            opt.control_dir = v;
        } else if (a == "--metrics") {
            opt.metrics_path = v;
        } else if (a == "--store") {
            opt.store_socket = v;
        } else if (a == "--disk") {
            PV_TRY(add_disk(opt, v, error));
        } else if (a == "--blkback") {
            opt.blkback = v;
        } else if (a == "--net") {
            PV_TRY(add_net(opt, v, error));
        } else if (a == "--netback") {
            opt.netback = v;
        } else if (a == "--domid") {
            PV_TRY_ASSIGN(domid, parse_domid(v, error));
            opt.domid = domid;
        } else if (a == "--name") {
            PV_TRY_ASSIGN(name, parse_name(v, error));
            opt.name = std::move(name);
        } else if (a == "--memory") {
            PV_TRY_ASSIGN(bytes, parse_memory(v, error));
            opt.memory_bytes = bytes;
        } else if (a == "--vcpus") {
            PV_TRY_ASSIGN(n, parse_vcpus(v, error));
            opt.vcpus = n;
        } else if (a == "--acpi") {
            if (v != "on" && v != "off") {
                error = "--acpi " + v + ": must be on or off";
                return Errc::invalid_argument;
            }
            opt.acpi = v == "on";
        } else if (v == "pv" || v == "serial") {
            opt.console = v == "pv" ? ConsoleKind::pv : ConsoleKind::serial;
        } else {
            error = "--console " + v + ": must be pv or serial";
            return Errc::invalid_argument;
        }
    }
    if (opt.kernel.empty() == opt.restore.empty()) {
        error = opt.kernel.empty() ? "run: --kernel is required"
                                   : "run: --kernel and --restore exclude each other";
        return Errc::invalid_argument;
    }
    if (!opt.restore.empty() && (!opt.initrd.empty() || !opt.disks.empty() || !opt.nets.empty())) {
        error = "--restore: the domain's memory, vCPUs and devices come from the file (no "
                "--initrd, --disk or --net)";
        return Errc::invalid_argument;
    }
    if (!opt.store_socket.empty() && (!opt.disks.empty() || !opt.nets.empty())) {
        error = "--store: with the toolstack's store, devices come from the store (pvisor "
                "block-attach, network-attach), not from --disk/--net";
        return Errc::invalid_argument;
    }
    PV_TRY(check_macs(opt, error));
    return opt;
}

const char* main_usage() {
    return "usage: pvisor run --kernel BZIMAGE [options]   boot a Linux guest on KVM\n"
           "       pvisor run --restore FILE [options]    resume a guest saved to FILE\n"
           "       pvisor store OP ...                     talk to a running guest's store\n"
           "       pvisor vmm-request [--control DIR] JSON  one request on a guest's vmm.sock\n"
           "       pvisor version                          print the version\n"
           "       pvisor --help | run --help\n";
}

const char* run_usage() {
    return "usage: pvisor run --kernel BZIMAGE [--initrd FILE] [--cmdline STR]\n"
           "                  [--memory SIZE] [--vcpus N] [--console pv|serial] [--control DIR]\n"
           "                  [--store SOCKET] [--metrics FILE] [--disk SPEC]... [--blkback PATH]\n"
           "                  [--net SPEC]... [--netback PATH] [--domid N] [--name NAME]\n"
           "                  [--acpi on|off]\n"
           "       pvisor run --restore FILE [--console pv|serial] [--control DIR]\n"
           "                  [--metrics FILE] [--store SOCKET] [--paused]\n"
           "  --paused        start with the vCPUs paused (unpause on vmm.sock runs them)\n"
           "  --restore FILE  resume the guest a save on vmm.sock wrote to FILE (its memory,\n"
           "                  vCPUs, domain id and name come from the file)\n"
           "  --memory SIZE   guest RAM: bytes or with K/M/G suffix (default 512M)\n"
           "  --vcpus N       virtual CPUs (default 1)\n"
           "  --console KIND  where stdin goes: pv (hvc0, default) or serial (ttyS0);\n"
           "                  ttyS0 output always goes to stdout\n"
           "  --control DIR   the guest's sockets (default $PVISOR_CONTROL, else\n"
           "                  $XDG_RUNTIME_DIR/pvisor, else /tmp/pvisor-UID): store.sock,\n"
           "                  guest.ctl (backends), vmm.sock (management: JSON lines, see\n"
           "                  docs/design.md), console.sock (console history, then live;\n"
           "                  input goes to the guest) and, once pvisor has exited, the\n"
           "                  file exit (\"status=N reason=...\")\n"
           "  --domid N       the guest's domain id, 1..32751 (default 1)\n"
           "  --name NAME     the guest's name in the store (default guest): up to 64 of\n"
           "                  A-Z a-z 0-9 _ . -\n"
           "  --metrics FILE  rewrite FILE every second with the guest's counters (\"name value\"\n"
           "                  lines: exits, hypercalls, event channels, upcalls, grants, console)\n"
           "  --disk SPEC     a PV disk: path[,ro][,queues=N][,direct=on|off] (up to 16; the\n"
           "                  first is xvda, then xvdb...), served by one pvisor-blkback\n"
           "                  process that pvisor starts and stops\n"
           "  --blkback PATH  the pvisor-blkback to run (default: next to pvisor, else $PATH)\n"
           "  --net SPEC      a PV network interface: tap=NAME[,bridge=BR][,mac=MAC][,queues=N]\n"
           "                  (up to 8; the first is vif 0, then 1...): the host TAP NAME\n"
           "                  (created if missing, added to the existing bridge BR), the guest's\n"
           "                  MAC (default 02:50:56:<domid, 2 bytes>:<vif>), queues 1..8;\n"
           "                  served by one pvisor-netback process that pvisor starts and stops\n"
           "  --netback PATH  the pvisor-netback to run (default: next to pvisor, else $PATH)\n"
           "  --store SOCKET  managed mode: the toolstack (pvisor daemon) serving SOCKET holds\n"
           "                  this guest's store and starts its backends; it takes the guest's\n"
           "                  store ring over the control socket (no --disk/--net then)\n"
           "  --acpi on|off   on (default): ACPI tables (RSDP, XSDT, MADT, FADT, DSDT with the\n"
           "                  PCI host bridge) and no MP table; off: the MP table alone, for a\n"
           "                  guest booted with acpi=off (docs/platform.md)\n"
           "  --cmdline STR   the guest's command line (default \"console=ttyS0\")\n"
           "On a terminal the console is raw (Ctrl-C reaches the guest); Ctrl-] stops the guest.\n"
           "exit status: 0 poweroff, 1 error, 2 usage, 3 reboot, 4 triple fault,\n"
           "             5 guest crash, 6 watchdog, 7 stopped (SIGINT/SIGTERM/SIGHUP or Ctrl-]),\n"
           "             8 saved (save on vmm.sock)\n";
}

} // namespace pvisor
