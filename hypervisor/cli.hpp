// cli.hpp: the `pvisor run` options and their validation (no I/O beyond messages).
#pragma once

#include "devices/disk_spec.hpp"
#include "devices/net_spec.hpp"
#include "result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pvisor {

enum class ConsoleKind : std::uint8_t { pv, serial };

// One --disk: the text as given (for messages) and its parse (written into the store).
struct DiskOption {
    std::string spec;
    DiskSpec config;
};

// One --net: the text as given (for messages) and its parse (written into the store).
struct NetOption {
    std::string spec;
    NetSpec config;
};

// --domid: 1..kMaxDomid (Xen's DOMID_FIRST_RESERVED - 1; 0 is the host); --name: at most
// kMaxNameLength characters of [A-Za-z0-9_.-].
inline constexpr std::uint16_t kDefaultDomid = 1;
inline constexpr std::uint16_t kMaxDomid = 32751;
inline constexpr std::size_t kMaxNameLength = 64;

struct RunOptions {
    std::string kernel;
    std::string restore; // --restore FILE: start from a save stream instead of a kernel
    bool start_paused = false; // --paused: the vCPUs wait for unpause on vmm.sock (xl -p)
    std::string initrd; // empty: none
    std::string cmdline = "console=ttyS0";
    // --acpi on (default): ACPI tables and no MP table; off: the MP table only (the guest
    // then boots as with acpi=off).
    bool acpi = true;
    std::uint64_t memory_bytes = 512ULL << 20;
    unsigned vcpus = 1;
    ConsoleKind console = ConsoleKind::pv;
    std::string control_dir; // empty: the store's default
    std::uint16_t domid = kDefaultDomid; // the guest's domain id (store, backends, MACs)
    std::string name = "guest";          // the store's /local/domain/<domid>/name
    std::string metrics_path; // empty: no metrics file
    std::string store_socket; // --store: the toolstack's store (managed mode); empty: our own
    std::vector<DiskOption> disks; // in order: xvda, xvdb, ... (at most kBlkMaxDisks)
    std::string blkback;           // --blkback PATH; empty: BackendProcess::locate's search
    std::vector<NetOption> nets; // in order: vif 0, 1, ... (at most kMaxVifs)
    std::string netback;         // --netback PATH; empty: BackendProcess::locate's search
    bool help = false;
};

// Exit statuses of `pvisor run` (docs/design.md).
inline constexpr int kExitPoweroff = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitReboot = 3;
inline constexpr int kExitTripleFault = 4;
inline constexpr int kExitCrash = 5;
inline constexpr int kExitWatchdog = 6;
inline constexpr int kExitStopped = 7; // SIGINT/SIGTERM/SIGHUP, or Ctrl-] on the console
inline constexpr int kExitSaved = 8;   // saved (save on vmm.sock): the domain lives in the file

// Parses the arguments after "run". On failure `error` holds "<what>: <why>" (the caller
// prefixes "pvisor: ") and the result is Errc::invalid_argument.
[[nodiscard]] Result<RunOptions> parse_run_args(const std::vector<std::string>& args,
                                                std::string& error);

[[nodiscard]] const char* main_usage();
[[nodiscard]] const char* run_usage();

} // namespace pvisor
