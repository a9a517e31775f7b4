// xen_vdev.cpp: decoding of Xen's disk names and numbers.
#include "xen_vdev.hpp"

#include "xl_number.hpp"

namespace pvisor::toolstack {

namespace {

constexpr std::uint32_t kXvdMaxDisk = (1U << 20) - 1;
constexpr std::uint32_t kExtended = 1U << 28;

// Decimal digits without a leading zero (other than "0" itself), at most `max`.
bool parse_index(std::string_view s, std::uint32_t max, std::uint32_t& out) {
    if (s.empty() || (s[0] == '0' && s.size() > 1))
        return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > max)
            return false;
    }
    out = static_cast<std::uint32_t>(v);
    return true;
}

// PREFIX + letters (bijective base 26) + optional partition, as device_virtdisk_matches().
bool match_lettered(std::string_view name, std::string_view prefix, std::uint32_t max_disk,
                    std::uint32_t max_partition, XenVdev& out) {
    if (name.substr(0, prefix.size()) != prefix)
        return false;
    name.remove_prefix(prefix.size());
    std::uint64_t index = 0;
    std::size_t letters = 0;
    while (letters < name.size() && name[letters] >= 'a' && name[letters] <= 'z') {
        index = index * 26 + static_cast<unsigned>(name[letters] - 'a') + 1;
        if (index - 1 > max_disk)
            return false;
        ++letters;
    }
    if (letters == 0)
        return false;
    out.disk = static_cast<std::uint32_t>(index - 1);
    out.partition = 0;
    name.remove_prefix(letters);
    if (name.empty())
        return true;
    return name[0] != '0' && parse_index(name, max_partition, out.partition); // no "xvda0"
}

// "dN" or "dNpM".
bool match_numbered(std::string_view name, XenVdev& out) {
    if (name.size() < 2 || name[0] != 'd')
        return false;
    name.remove_prefix(1);
    const std::size_t p = name.find('p');
    out.partition = 0;
    if (!parse_index(name.substr(0, p), kXvdMaxDisk, out.disk))
        return false;
    return p == std::string_view::npos || parse_index(name.substr(p + 1), 255, out.partition);
}

std::uint32_t xvd_number(std::uint32_t disk, std::uint32_t partition) {
    if (disk <= 15 && partition <= 15)
        return (202U << 8) | (disk << 4) | partition;
    return kExtended | (disk << 8) | partition;
}

// A raw number, classified by the encodings of xen-vbd-interface(7).
XenVdev classify(std::uint32_t n) {
    XenVdev v;
    v.devid = n;
    const std::uint32_t major = n >> 8;
    if ((n >> 28) == 1) {
        v.kind = VdevKind::xvd;
        v.disk = (n >> 8) & kXvdMaxDisk;
        v.partition = n & 0xff;
    } else if (n < kExtended && major == 202) {
        v.kind = VdevKind::xvd;
        v.disk = (n >> 4) & 0xf;
        v.partition = n & 0xf;
    } else if (n < kExtended && major == 8) {
        v.kind = VdevKind::scsi;
        v.disk = (n >> 4) & 0xf;
        v.partition = n & 0xf;
    } else if (n < kExtended && (major == 3 || major == 22)) {
        v.kind = VdevKind::ide;
        v.disk = (major == 3 ? 0 : 2) + ((n >> 6) & 1);
        v.partition = n & 0x3f;
    }
    return v;
}

} // namespace

Result<XenVdev> decode_xen_vdev(std::string_view name) {
    XenVdev v;
    if (match_numbered(name, v) || match_lettered(name, "xvd", kXvdMaxDisk, 255, v)) {
        v.kind = VdevKind::xvd;
        v.devid = xvd_number(v.disk, v.partition);
        return v;
    }
    if (!name.empty() && name[0] >= '0' && name[0] <= '9') {
        auto n = parse_xl_number(name);
        if (!n.ok() || *n > 0x7fffffffU)
            return Errc::invalid_argument;
        return classify(static_cast<std::uint32_t>(*n));
    }
    if (match_lettered(name, "hd", 3, 63, v)) {
        v.kind = VdevKind::ide;
        v.devid = ((v.disk < 2 ? 3U : 22U) << 8) | ((v.disk & 1U) << 6) | v.partition;
        return v;
    }
    if (match_lettered(name, "sd", 15, 15, v)) {
        v.kind = VdevKind::scsi;
        v.devid = (8U << 8) | (v.disk << 4) | v.partition;
        return v;
    }
    return Errc::invalid_argument;
}

std::uint32_t xvd_devid(std::uint32_t disk) {
    return xvd_number(disk, 0);
}

std::string xvd_name(std::uint32_t disk) {
    std::string letters;
    std::uint64_t n = std::uint64_t{disk} + 1; // bijective base 26
    while (n > 0) {
        letters.insert(letters.begin(), static_cast<char>('a' + (n - 1) % 26));
        n = (n - 1) / 26;
    }
    return "xvd" + letters;
}

} // namespace pvisor::toolstack
