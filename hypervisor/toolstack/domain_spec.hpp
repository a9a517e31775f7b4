// domain_spec.hpp: what a domain is made of (the toolstack's form of an xl.cfg), as JSON.
#pragma once

#include "json.hpp"
#include "result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pvisor::toolstack {

// What happens when the guest powers off, reboots or crashes (xl's on_poweroff, ...).
enum class Action : std::uint8_t { destroy, restart, preserve };

struct DomainDisk {
    std::string target;    // image path (absolute)
    std::string vdev;      // "xvda"...
    std::uint32_t devid{}; // the Xen virtual-device number
    bool read_only = false;
};

struct DomainVif {
    std::string mac;     // empty: the toolstack's default for (domid, handle)
    std::string bridge;  // empty: none
    std::string vifname; // empty: vif<domid>.<handle>
    unsigned handle = 0; // the device id: given, or the lowest the domain's other vifs leave
};

struct DomainSpec {
    std::string name;
    std::string kernel;  // absolute
    std::string ramdisk; // absolute or empty
    std::string cmdline;
    std::uint64_t memory_mib = 0;
    std::uint64_t maxmem_mib = 0;
    unsigned vcpus = 1;
    unsigned maxvcpus = 1;
    bool acpi = true; // false: the VMM runs with --acpi off (the MP table alone)
    std::vector<DomainDisk> disks;
    std::vector<DomainVif> vifs;
    Action on_poweroff = Action::destroy;
    Action on_reboot = Action::restart;
    Action on_crash = Action::destroy;
};

[[nodiscard]] const char* action_name(Action a);
[[nodiscard]] Json spec_to_json(const DomainSpec& s);
// Validates every field (kinds, ranges, names); `why` names the first bad field.
[[nodiscard]] Result<DomainSpec> spec_from_json(const Json& j, std::string& why);
// A domain name: 1..64 of [A-Za-z0-9_.-], not starting with '-' or '.', not all digits (a
// name is never mistaken for a domain id).
[[nodiscard]] bool valid_domain_name(std::string_view name);
// The default MAC of vif `handle` of domain `domid` (net_spec.hpp default_guest_mac):
// 02:50:56:DD:DD:HH with DD the domid, HH the handle, unique on the host.
[[nodiscard]] std::string default_mac(std::uint32_t domid, unsigned handle);

} // namespace pvisor::toolstack
