// xl_config_fuzz.cpp: libFuzzer target: hostile xl.cfg files (and through their disk and vif
// lists the spec grammars), plus the same bytes as a DISKSPEC, a VIFSPEC and a vdev. Checks
// that a parse either fails with a "f.cfg..." message or yields a config within its limits.
#include "xen_vdev.hpp"
#include "xl_config.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace pvisor::toolstack;

void require(bool ok) {
    if (!ok)
        std::abort();
}

void check_disk(const DiskSpec& d) {
    require(!d.target.empty() && d.target.size() <= 4095);
    require(d.target.find('\0') == std::string::npos);
    require(d.disk < kGuestMaxDisks);
    require(d.vdev == xvd_name(d.disk));
    require(d.devid == xvd_devid(d.disk));
    require(d.format == "raw");
}

void check_vif(const VifSpec& v) {
    if (v.mac)
        require(((*v.mac)[0] & 1U) == 0 && *v.mac != MacAddress{});
    for (const auto* n : {&v.bridge, &v.vifname}) {
        if (*n)
            require(!(*n)->empty() && (*n)->size() <= 15 && (*n)->find('/') == std::string::npos);
    }
}

void check_config(const DomainConfig& c) {
    require(!c.name.empty() && c.name.size() <= kMaxNameLength && c.name[0] != '-');
    require(!c.kernel.empty());
    require(c.memory_mib >= kMinMemoryMiB && c.memory_mib <= kMaxMemoryMiB);
    require(c.maxmem_mib >= c.memory_mib && c.maxmem_mib <= kMaxMemoryMiB);
    require(c.vcpus >= 1 && c.vcpus <= 64 && c.maxvcpus >= c.vcpus && c.maxvcpus <= 64);
    for (std::size_t i = 0; i < c.disks.size(); ++i) {
        check_disk(c.disks[i]);
        for (std::size_t j = 0; j < i; ++j)
            require(c.disks[j].disk != c.disks[i].disk && c.disks[j].target != c.disks[i].target);
    }
    for (const auto& v : c.vifs)
        check_vif(v);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string err;
    auto c = parse_xl_config("f.cfg", text, err);
    if (c.ok())
        check_config(*c);
    else
        require(err.rfind("f.cfg", 0) == 0);

    std::string why;
    auto d = parse_xl_disk_spec(text, why);
    if (d.ok())
        check_disk(*d);
    else
        require(!why.empty());
    auto v = parse_xl_vif_spec(text, why);
    if (v.ok())
        check_vif(*v);
    else
        require(!why.empty());
    auto x = decode_xen_vdev(text);
    if (x.ok() && x->kind == VdevKind::xvd && x->partition == 0)
        require(x->disk < (1U << 20) && xvd_name(x->disk).size() >= 4);
    return 0;
}
