// domain_spec.cpp: DomainSpec <-> JSON with validation.
#include "domain_spec.hpp"

#include "device_keys.hpp"
#include "devices/net_spec.hpp"
#include "devices/vbd_numbering.hpp"
#include "xen_vdev.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

namespace pvisor::toolstack {
namespace {

constexpr unsigned kMaxVcpus = 64;
constexpr std::uint64_t kMinMemoryMib = 16;
constexpr std::uint64_t kMaxMemoryMib = 1 << 20;
constexpr std::size_t kMaxDisks = 16;
constexpr std::size_t kMaxVifs = 8;

std::optional<Action> parse_action(std::string_view s) {
    if (s == "destroy")
        return Action::destroy;
    if (s == "restart")
        return Action::restart;
    if (s == "preserve")
        return Action::preserve;
    return std::nullopt;
}

} // namespace

const char* action_name(Action a) {
    switch (a) {
    case Action::destroy:
        return "destroy";
    case Action::restart:
        return "restart";
    case Action::preserve:
        return "preserve";
    }
    return "destroy";
}

bool valid_domain_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name[0] == '-' || name[0] == '.')
        return false;
    bool digits_only = true;
    for (const char c : name) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
                        c == '-';
        if (!ok)
            return false;
        digits_only = digits_only && std::isdigit(static_cast<unsigned char>(c));
    }
    return !digits_only;
}

std::string default_mac(std::uint32_t domid, unsigned handle) {
    return pvisor::format_mac(
        default_guest_mac(static_cast<std::uint16_t>(domid), static_cast<std::uint8_t>(handle)));
}

Json spec_to_json(const DomainSpec& s) {
    Json disks = Json::array();
    for (const DomainDisk& d : s.disks)
        disks.push_back({{"target", d.target}, {"vdev", d.vdev}, {"read_only", d.read_only}});
    Json vifs = Json::array();
    for (const DomainVif& v : s.vifs) {
        Json o = Json::object();
        if (!v.mac.empty())
            o["mac"] = v.mac;
        if (!v.bridge.empty())
            o["bridge"] = v.bridge;
        if (!v.vifname.empty())
            o["vifname"] = v.vifname;
        o["handle"] = v.handle;
        vifs.push_back(o);
    }
    return {{"name", s.name},
            {"kernel", s.kernel},
            {"ramdisk", s.ramdisk},
            {"cmdline", s.cmdline},
            {"memory_mib", s.memory_mib},
            {"maxmem_mib", s.maxmem_mib},
            {"vcpus", s.vcpus},
            {"maxvcpus", s.maxvcpus},
            {"acpi", s.acpi},
            {"disks", disks},
            {"vifs", vifs},
            {"on_poweroff", action_name(s.on_poweroff)},
            {"on_reboot", action_name(s.on_reboot)},
            {"on_crash", action_name(s.on_crash)}};
}

Result<DomainSpec> spec_from_json(const Json& j, std::string& why) {
    DomainSpec s;
    const auto bad = [&why](const std::string& what) {
        why = what;
        return Errc::invalid_argument;
    };
    if (!j.is_object())
        return bad("config: must be an object");
    static constexpr const char* kKeys[] = {"name",       "kernel",     "ramdisk", "cmdline",
                                            "memory_mib", "maxmem_mib", "vcpus",   "maxvcpus",
                                            "disks",      "vifs",       "on_poweroff",
                                            "on_reboot",  "on_crash",   "acpi"};
    for (const auto& [key, value] : j.items()) {
        bool known = false;
        for (const char* k : kKeys)
            known = known || key == k;
        if (!known)
            return bad("config: " + key + ": unknown key");
    }
    const std::string* name = json_string(j, "name");
    if (name == nullptr || !valid_domain_name(*name))
        return bad("config: name: must be 1-64 of A-Z a-z 0-9 _ . - (not all digits)");
    s.name = *name;
    const std::string* kernel = json_string(j, "kernel");
    if (kernel == nullptr || kernel->empty() || (*kernel)[0] != '/')
        return bad("config: kernel: an absolute path is required");
    s.kernel = *kernel;
    if (json_has(j, "ramdisk")) {
        const std::string* r = json_string(j, "ramdisk");
        if (r == nullptr || (!r->empty() && (*r)[0] != '/'))
            return bad("config: ramdisk: must be an absolute path");
        s.ramdisk = *r;
    }
    if (json_has(j, "cmdline")) {
        const std::string* c = json_string(j, "cmdline");
        if (c == nullptr || c->size() > 2047)
            return bad("config: cmdline: must be a string of at most 2047 bytes");
        s.cmdline = *c;
    }
    const auto mem = json_int(j, "memory_mib");
    if (!mem || *mem < static_cast<std::int64_t>(kMinMemoryMib) ||
        *mem > static_cast<std::int64_t>(kMaxMemoryMib))
        return bad("config: memory_mib: must be 16..1048576");
    s.memory_mib = static_cast<std::uint64_t>(*mem);
    s.maxmem_mib = s.memory_mib;
    if (json_has(j, "maxmem_mib")) {
        const auto mx = json_int(j, "maxmem_mib");
        if (!mx || *mx < *mem || *mx > static_cast<std::int64_t>(kMaxMemoryMib))
            return bad("config: maxmem_mib: must be memory_mib..1048576");
        s.maxmem_mib = static_cast<std::uint64_t>(*mx);
    }
    if (json_has(j, "vcpus")) {
        const auto v = json_int(j, "vcpus");
        if (!v || *v < 1 || *v > kMaxVcpus)
            return bad("config: vcpus: must be 1..64");
        s.vcpus = static_cast<unsigned>(*v);
    }
    s.maxvcpus = s.vcpus;
    if (json_has(j, "maxvcpus")) {
        const auto v = json_int(j, "maxvcpus");
        if (!v || *v < s.vcpus || *v > kMaxVcpus)
            return bad("config: maxvcpus: must be vcpus..64");
        s.maxvcpus = static_cast<unsigned>(*v);
    }
    if (json_has(j, "acpi")) {
        const auto acpi = json_bool(j, "acpi");
        if (!acpi)
            return bad("config: acpi: must be true or false");
        s.acpi = *acpi;
    }
    if (json_has(j, "disks")) {
        const Json* disks = json_array(j, "disks");
        if (disks == nullptr || disks->size() > kMaxDisks)
            return bad("config: disks: must be a list of at most 16");
        for (std::size_t i = 0; i < disks->size(); ++i) {
            const Json& d = (*disks)[i];
            const std::string at = "config: disks[" + std::to_string(i) + "]: ";
            DomainDisk disk;
            const std::string* target = json_string(d, "target");
            const std::string* vdev = json_string(d, "vdev");
            if (target == nullptr || target->empty() || (*target)[0] != '/')
                return bad(at + "target: an absolute path is required");
            const auto decoded = vdev != nullptr ? decode_xen_vdev(*vdev)
                                                 : Result<XenVdev>(Errc::invalid_argument);
            if (!decoded.ok() || decoded->kind != VdevKind::xvd || decoded->partition != 0 ||
                decoded->disk >= kBlkMaxDisks)
                return bad(at + "vdev: must be a whole disk xvda..xvdp");
            disk.target = *target;
            disk.vdev = xvd_name(decoded->disk);
            disk.devid = decoded->devid;
            if (json_has(d, "read_only")) {
                const auto ro = json_bool(d, "read_only");
                if (!ro)
                    return bad(at + "read_only: must be true or false");
                disk.read_only = *ro;
            }
            for (const DomainDisk& other : s.disks)
                if (other.devid == disk.devid)
                    return bad(at + "vdev: " + disk.vdev + " is given twice");
            s.disks.push_back(disk);
        }
    }
    if (json_has(j, "vifs")) {
        const Json* vifs = json_array(j, "vifs");
        if (vifs == nullptr || vifs->size() > kMaxVifs)
            return bad("config: vifs: must be a list of at most 8");
        for (std::size_t i = 0; i < vifs->size(); ++i) {
            const Json& v = (*vifs)[i];
            const std::string at = "config: vifs[" + std::to_string(i) + "]: ";
            if (!v.is_object())
                return bad(at + "must be an object");
            DomainVif vif;
            vif.handle = kMaxVifs; // none given yet
            if (json_has(v, "handle")) {
                const auto h = json_int(v, "handle");
                if (!h || *h < 0 || *h >= static_cast<std::int64_t>(kMaxVifs))
                    return bad(at + "handle: must be 0..7");
                for (const DomainVif& other : s.vifs)
                    if (other.handle == static_cast<unsigned>(*h))
                        return bad(at + "handle: " + std::to_string(*h) + " is given twice");
                vif.handle = static_cast<unsigned>(*h);
            }
            if (json_has(v, "mac")) {
                const std::string* m = json_string(v, "mac");
                const auto mac = m != nullptr ? pvisor::parse_mac(*m) : std::nullopt;
                if (!mac)
                    return bad(at + "mac: must be a unicast xx:xx:xx:xx:xx:xx");
                vif.mac = *m;
            }
            if (json_has(v, "bridge")) {
                const std::string* b = json_string(v, "bridge");
                if (b == nullptr || !pvisor::valid_ifname(*b))
                    return bad(at + "bridge: must be an interface name");
                vif.bridge = *b;
            }
            if (json_has(v, "vifname")) {
                const std::string* n = json_string(v, "vifname");
                if (n == nullptr || !pvisor::valid_ifname(*n))
                    return bad(at + "vifname: must be an interface name of at most 15 bytes");
                vif.vifname = *n;
            }
            s.vifs.push_back(vif);
        }
        // The vifs without a handle take the lowest ones the others leave, in order.
        for (DomainVif& vif : s.vifs) {
            if (vif.handle != kMaxVifs)
                continue;
            unsigned h = 0;
            while (std::any_of(s.vifs.begin(), s.vifs.end(),
                               [h](const DomainVif& o) { return o.handle == h; }))
                ++h;
            vif.handle = h;
        }
    }
    for (const auto& [key, field] : {std::pair{"on_poweroff", &s.on_poweroff},
                                     std::pair{"on_reboot", &s.on_reboot},
                                     std::pair{"on_crash", &s.on_crash}}) {
        if (!json_has(j, key))
            continue;
        const std::string* a = json_string(j, key);
        const auto act = a != nullptr ? parse_action(*a) : std::nullopt;
        if (!act)
            return bad(std::string("config: ") + key + ": must be destroy, restart or preserve");
        *field = *act;
    }
    return s;
}

} // namespace pvisor::toolstack
