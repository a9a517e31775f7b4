// xl_disk.hpp: xl's disk specification grammar (xl-disk-configuration(5)) for pvisor disks.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pvisor::toolstack {

// pvisor guests (pvblk) name whole xvd disks xvda..xvdzz: disk indexes 0..701.
inline constexpr std::uint32_t kGuestMaxDisks = 702;

// One disk as pvisor serves it.
struct DiskSpec {
    std::string target;         // image file or block device, as written (relative stays so)
    bool read_only = false;     // access=r|ro
    std::string vdev;           // the guest's name for it, canonical: "xvda" (also for "d0")
    std::uint32_t devid = 0;    // Xen virtual-device number: xvd_devid() of the disk index
    std::uint32_t disk = 0;     // disk index (xvda = 0), < kGuestMaxDisks
    std::string format = "raw"; // the only format pvisor-blkback serves
    std::string spec;           // the specification as given (words joined with ',')
};

// Parses one DISKSPEC as libxlu's disk lexer (libxlu_disk_l.l) does:
//  - comma-separated parts; whitespace before a part is skipped;
//  - positional parts fill target, format, vdev, access in that order (a format given by a
//    deprecated "raw:" prefix is skipped over); an empty part keeps the default;
//  - key=value parts: target= (takes the rest of the spec, commas included, so it comes
//    last), format=, vdev=, access=, devtype=, backendtype=, specification=, script=,
//    backend=, colo-host=, colo-port=, colo-export=, active-disk=, hidden-disk=;
//  - flags: cdrom, direct-io-safe, discard, no-discard, colo, no-colo, trusted, untrusted;
//  - deprecated prefixes on a part: phy: file: aio: tap: tap2: tapdisk: ioemu: are stripped,
//    raw: sets the format, qcow: qcow2: vhd: iscsi: nbd: enbd: drbd: are refused below;
//  - "VDEV:disk" / "VDEV:cdrom" as the vdev part (deprecated form of devtype=).
// A string given twice (target, vdev) is an error unless the first was empty, as in xl.
// What pvisor does not serve is an error with its reason: formats other than raw, cdrom,
// script= and the script prefixes, backend= (driver domains), backendtype=standalone,
// specification=virtio, COLO, untrusted, no-discard, and vdevs other than whole xvd disks
// 0..701 (sdX, hdX, partitions). backendtype=phy|qdisk|tap, specification=xen,
// direct-io-safe, discard and trusted are what pvisor does anyway and are accepted.
// On failure `error` says why, without a prefix (e.g. `vdev "sdz9" is not a Xen virtual disk
// name`); callers prefix where it came from.
[[nodiscard]] Result<DiskSpec> parse_xl_disk_spec(std::string_view spec, std::string& error);

// The same over several words, as `xl block-attach DOM WORD...` takes them: each word is
// read as above, continuing one specification (positional parts carry on across words;
// target= ends its own word only).
[[nodiscard]] Result<DiskSpec> parse_xl_disk_spec(const std::vector<std::string>& words,
                                                  std::string& error);

} // namespace pvisor::toolstack
