// xl_config.hpp: an xl.cfg(5) domain config file read into pvisor's DomainConfig.
#pragma once

#include "result.hpp"
#include "xl_disk.hpp"
#include "xl_vif.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::toolstack {

// What to do when the guest powers off, reboots or crashes (xl's on_* actions pvisor has).
enum class ShutdownAction { destroy, restart, preserve };

[[nodiscard]] std::string_view shutdown_action_name(ShutdownAction a);

inline constexpr std::uint64_t kMinMemoryMiB = 16;
inline constexpr std::uint64_t kMaxMemoryMiB = 1ULL << 20; // 1 TiB
inline constexpr std::uint64_t kDefaultMemoryMiB = 32;     // libxl's default (no memory=)
inline constexpr std::size_t kMaxNameLength = 64;
inline constexpr std::size_t kMaxConfigBytes = 4U << 20; // load_xl_config's file size limit

// One domain as its config file describes it. Paths are as written (a relative path is
// relative to where `xl create` was run, as in xl: the CLI makes them absolute).
struct DomainConfig {
    std::string name;
    std::string kernel;
    std::string ramdisk; // empty: none
    std::string cmdline; // the kernel command line, from cmdline= or root= and extra=
    std::uint64_t memory_mib = kDefaultMemoryMiB;
    std::uint64_t maxmem_mib = kDefaultMemoryMiB;
    unsigned vcpus = 1;
    unsigned maxvcpus = 1;
    bool acpi = true; // acpi=: ACPI tables (1), or the MP table alone (0)
    std::vector<DiskSpec> disks; // in list order; vdevs and targets differ
    std::vector<VifSpec> vifs;   // in list order (the DEVID is the index); macs, vifnames differ
    ShutdownAction on_poweroff = ShutdownAction::destroy;
    ShutdownAction on_reboot = ShutdownAction::restart;
    ShutdownAction on_crash = ShutdownAction::destroy;
    std::vector<std::string> warnings; // "SOURCE:LINE: KEY: ..." for what xl warns about too
};

// Reads a config file's text. `source` names it in messages (the path as the user gave it).
// Keys:
//   name      required; 1..64 bytes of A-Z a-z 0-9 _ . -, not all digits (that would read
//             as a domain id), not starting with '-', not "." or "..".
//   type      "pv" or "pvh": accepted and without effect (pvisor runs its one kind of guest,
//             a Linux bzImage with PV drivers, whichever is named); "hvm" is an error.
//   kernel    required; ramdisk optional.
//   cmdline, root, extra: as xl's parse_cmdline(): cmdline= wins (root= and extra= are then
//             ignored with a warning); otherwise "root=ROOT EXTRA", "root=ROOT" or "EXTRA".
//   memory, maxmem: MiB, 16..1048576; maxmem defaults to memory and may not be less; as in
//             libxl, memory defaults to maxmem, and to 32 MiB when neither is given.
//   vcpus     1..64 (default 1); maxvcpus vcpus..64 (default vcpus).
//   acpi      1 (default): pvisor describes the machine with ACPI tables; 0: with the MP
//             table alone (`pvisor run --acpi off`; the guest then boots as with acpi=off).
//   disk, vif lists of xl_disk.hpp / xl_vif.hpp specifications.
//   on_poweroff (default destroy), on_reboot (restart), on_crash (destroy): destroy, restart
//             or preserve; xl's other actions are errors that say pvisor does not have them.
// Any other key is an error. Numbers are xl's (xl_number.hpp), as a bare number or a string,
// and "+=" does not apply to them. A key set twice takes its last value, whose value alone is
// checked (xl never looks at the earlier one). On failure `error` is "SOURCE:LINE: KEY: why"
// ("SOURCE: KEY: why" for a missing required key) for the first error: the file's syntax and
// unknown keys first, in file order, as it is read whole before any value means anything; then
// values in line order; then the limits between keys (maxmem >= memory, maxvcpus >= vcpus).
// List items are named by their 0-based index and reported at their own line:
// "guest.cfg:9: disk: [1]: vdev \"sdz9\" is not a Xen virtual disk name".
[[nodiscard]] Result<DomainConfig> parse_xl_config(std::string_view source, std::string_view text,
                                                   std::string& error);

// Reads the file at `path` (at most kMaxConfigBytes) and parses it, `path` as the source.
// Unreadable files are "PATH: cannot read: strerror" (Errc::not_found for a missing file,
// Errc::permission_denied, Errc::io_error otherwise, a directory included); a larger file is
// "PATH: larger than 4 MiB" (Errc::too_big). Parse errors are Errc::invalid_argument.
[[nodiscard]] Result<DomainConfig> load_xl_config(const std::string& path, std::string& error);

} // namespace pvisor::toolstack
