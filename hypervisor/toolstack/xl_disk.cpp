// xl_disk.cpp: xl's DISKSPEC, read part by part as libxlu's disk lexer reads it.
#include "xl_disk.hpp"

#include "error_quote.hpp"
#include "spec_words.hpp"
#include "xen_vdev.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace pvisor::toolstack {

namespace {

constexpr std::size_t kMaxTarget = 4095; // PATH_MAX less its NUL

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Length of a deprecated "name:" prefix at the start of `s` (0: none): [a-z][a-z0-9]*: where
// a known name may be followed by anything and an unknown one by the end or a non-[a-z0-9].
std::size_t prefix_length(std::string_view s, bool& known) {
    static constexpr std::array<std::string_view, 15> kKnown = {
        "raw",     "qcow", "qcow2", "vhd", "iscsi", "nbd",  "enbd", "drbd",
        "tapdisk", "tap",  "tap2",  "aio", "ioemu", "file", "phy"};
    if (s.empty() || s[0] < 'a' || s[0] > 'z')
        return 0;
    std::size_t n = 1;
    while (n < s.size() && is_lower_alnum(s[n]))
        ++n;
    if (n >= s.size() || s[n] != ':')
        return 0;
    const std::string_view name = s.substr(0, n);
    known = std::find(kKnown.begin(), kKnown.end(), name) != kKnown.end();
    if (!known && n + 1 < s.size() && is_lower_alnum(s[n + 1]))
        return 0; // "hdc:cdrom", "xvda:disk": a VDEV:DEVTYPE part, not a prefix
    return n + 1;
}

class DiskParser {
  public:
    explicit DiskParser(std::string& error) : m_error(error) {}

    bool word(std::string_view w);
    [[nodiscard]] Result<DiskSpec> finish(std::string spec);

  private:
    bool fail(std::string why) {
        m_error = std::move(why);
        return false;
    }
    bool prefix(std::string_view name);
    bool keyed(std::string_view part, std::string_view key, std::string_view value);
    bool flag(std::string_view part, bool& matched);
    bool positional(std::string_view part);
    bool save(std::string_view what, std::optional<std::string>& slot, std::string_view value);
    bool set_format(std::string_view value);
    bool set_access(std::string_view value);
    bool set_backendtype(std::string_view value);
    bool vdev_and_devtype(std::string_view part, bool& matched);

    std::string& m_error;
    std::optional<std::string> m_target;
    std::optional<std::string> m_vdev;
    std::optional<std::string> m_format;
    std::optional<bool> m_read_only;
    std::optional<std::string> m_backendtype;
    bool m_access_positional = false; // the access position has been filled
    bool m_had_prefix = false;        // a deprecated prefix: the format position is skipped
};

bool DiskParser::word(std::string_view w) {
    if (w.find('\0') != std::string_view::npos)
        return fail("NUL byte in the disk specification");
    std::size_t pos = 0;
    for (;;) {
        while (pos < w.size() && (w[pos] == ' ' || w[pos] == '\t' || w[pos] == '\n'))
            ++pos;
        if (pos >= w.size())
            return true;
        const std::string_view rest = w.substr(pos);
        if (starts_with(rest, "target=")) { // the rest of the word, commas included
            std::string_view value = rest.substr(7);
            if (!value.empty() && value.back() == ',')
                value.remove_suffix(1);
            return save("target", m_target, value);
        }
        bool known = false;
        if (const std::size_t n = prefix_length(rest, known); n > 0) {
            if (!known)
                return fail("unknown deprecated disk prefix " + quoted(rest.substr(0, n)));
            if (!prefix(rest.substr(0, n - 1)))
                return false;
            pos += n;
            continue;
        }
        const std::size_t comma = rest.find(',');
        const std::string_view part = rest.substr(0, comma);
        pos += part.size() + (comma == std::string_view::npos ? 0 : 1);
        bool matched = false;
        if (const std::size_t eq = part.find('='); eq != std::string_view::npos) {
            if (!keyed(part, part.substr(0, eq), part.substr(eq + 1)))
                return false;
        } else if (!flag(part, matched)) {
            return false;
        } else if (!matched && !positional(part)) {
            return false;
        }
    }
}

bool DiskParser::prefix(std::string_view name) {
    if (name == "raw" || name == "qcow" || name == "qcow2" || name == "vhd") {
        m_had_prefix = true;
        return set_format(name);
    }
    if (name == "iscsi" || name == "nbd" || name == "enbd" || name == "drbd")
        return fail("prefix " + quoted(std::string(name) + ":") + " needs block script block-" +
                    std::string(name) + ", and pvisor runs no block scripts");
    m_had_prefix = true; // phy: file: aio: tap: tap2: tapdisk: ioemu: are ignored, as in xl
    return true;
}

bool DiskParser::keyed(std::string_view part, std::string_view key, std::string_view value) {
    if (key == "format")
        return set_format(value);
    if (key == "access")
        return set_access(value);
    if (key == "vdev")
        return save("vdev", m_vdev, value);
    if (key == "backendtype")
        return set_backendtype(value);
    if (key == "devtype") {
        if (value == "disk")
            return true;
        if (value == "cdrom")
            return fail("devtype=cdrom is not supported: pvisor guests have no CD-ROM drives");
        return fail("devtype " + quoted(value) + " is not disk or cdrom");
    }
    if (key == "specification") {
        if (value == "xen")
            return true;
        if (value == "virtio")
            return fail("specification=virtio is not supported: pvisor guests have Xen PV disks");
        return fail("specification " + quoted(value) + " is not xen or virtio");
    }
    if (key == "script")
        return fail("script= is not supported: pvisor-blkback opens the target itself");
    if (key == "backend")
        return fail("backend= is not supported: pvisor's backends run in the host");
    if (key == "colo-host" || key == "colo-port" || key == "colo-export" || key == "active-disk" ||
        key == "hidden-disk")
        return fail(std::string(key) + "= is not supported: pvisor has no COLO replication");
    if (key == "grant_usage")
        return fail("grant_usage= is not supported: it applies to virtio disks");
    return fail("unknown parameter " + quoted(part) +
                " (a target containing \"=\" must be given last, as target=...)");
}

bool DiskParser::flag(std::string_view part, bool& matched) {
    matched = true;
    if (part == "direct-io-safe" || part == "discard" || part == "trusted" || part == "no-colo")
        return true; // what pvisor-blkback does anyway
    if (part == "cdrom")
        return fail("cdrom is not supported: pvisor guests have no CD-ROM drives");
    if (part == "no-discard")
        return fail("no-discard is not supported: pvisor-blkback offers discard where the "
                    "target can discard");
    if (part == "untrusted")
        return fail("untrusted is not supported: pvisor has no way to tell the guest");
    if (part == "colo")
        return fail("colo is not supported: pvisor has no COLO replication");
    matched = false;
    return true;
}

// Fills the first free position among target, format, vdev, access (libxlu's order).
bool DiskParser::positional(std::string_view part) {
    if (!m_target)
        return save("target", m_target, part);
    if (!m_had_prefix && !m_format) {
        bool matched = false;
        if (m_target->empty()) { // ",hdc:cdrom,r": xend's empty CD-ROM drive
            if (!vdev_and_devtype(part, matched))
                return false;
            if (matched) {
                m_format = "empty";
                return true;
            }
        }
        return set_format(part);
    }
    if (!m_vdev) {
        bool matched = false;
        if (!vdev_and_devtype(part, matched))
            return false;
        return matched || save("vdev", m_vdev, part);
    }
    if (!m_access_positional) {
        m_access_positional = true;
        return set_access(part);
    }
    return fail("too many positional parameters: " + quoted(part));
}

// "VDEV:disk" or "VDEV:cdrom" (deprecated): sets the vdev; `matched` false without a colon.
bool DiskParser::vdev_and_devtype(std::string_view part, bool& matched) {
    const std::size_t colon = part.rfind(':');
    matched = colon != std::string_view::npos;
    if (!matched)
        return true;
    if (!save("vdev", m_vdev, part.substr(0, colon)))
        return false;
    const std::string_view type = part.substr(colon + 1);
    if (type == "disk")
        return true;
    if (type == "cdrom")
        return fail(quoted(part) + ": cdrom is not supported: pvisor guests have no CD-ROM drives");
    return fail(quoted(part) + ": unknown deprecated type " + quoted(type));
}

// libxlu's savestring(): a string may be given again only if it was empty.
bool DiskParser::save(std::string_view what, std::optional<std::string>& slot,
                      std::string_view value) {
    if (slot && !slot->empty())
        return fail(std::string(what) + " respecified: " + quoted(value) + " after " +
                    quoted(*slot));
    slot = std::string(value);
    return true;
}

bool DiskParser::set_format(std::string_view value) {
    const std::string_view f = value.empty() ? "raw" : value;
    if (f != "raw" && f != "qcow" && f != "qcow2" && f != "vhd" && f != "qed" && f != "empty")
        return fail(quoted(value) + " is not a disk format (raw, qcow, qcow2, vhd, qed)");
    if (m_format && *m_format != f)
        return fail("format respecified: " + quoted(f) + " after " + quoted(*m_format));
    if (f != "raw")
        return fail("format " + quoted(f) +
                    " is not supported: pvisor-blkback serves raw "
                    "images only");
    m_format = std::string(f);
    return true;
}

bool DiskParser::set_access(std::string_view value) {
    bool ro = false;
    if (value == "r" || value == "ro")
        ro = true;
    else if (value != "w" && value != "rw" && !value.empty())
        return fail("access " + quoted(value) + " is not r, ro, w or rw");
    if (m_read_only && *m_read_only != ro)
        return fail("access respecified: " + quoted(value) + " after " +
                    quoted(*m_read_only ? "ro" : "rw"));
    m_read_only = ro;
    return true;
}

bool DiskParser::set_backendtype(std::string_view value) {
    if (value == "standalone")
        return fail("backendtype=standalone is not supported: it serves virtio disks");
    if (value != "phy" && value != "qdisk" && value != "tap")
        return fail("backendtype " + quoted(value) + " is not phy, qdisk, tap or standalone");
    if (m_backendtype && *m_backendtype != value)
        return fail("backendtype respecified: " + quoted(value) + " after " +
                    quoted(*m_backendtype));
    m_backendtype = std::string(value); // any of them: pvisor-blkback serves files and devices
    return true;
}

Result<DiskSpec> DiskParser::finish(std::string spec) {
    if (!m_vdev || m_vdev->empty()) {
        fail("no vdev specified");
        return Errc::invalid_argument;
    }
    if (!m_target || m_target->empty()) {
        fail("no target specified");
        return Errc::invalid_argument;
    }
    if (m_target->size() > kMaxTarget) {
        fail("target is longer than " + std::to_string(kMaxTarget) + " bytes");
        return Errc::invalid_argument;
    }
    auto v = decode_xen_vdev(*m_vdev);
    const std::string name = "vdev " + quoted(*m_vdev);
    if (!v.ok()) {
        fail(name + " is not a Xen virtual disk name");
        return Errc::invalid_argument;
    }
    if (v->kind != VdevKind::xvd) {
        fail(name + ": pvisor guests see Xen virtual disks only (xvda, xvdb, ...)");
        return Errc::invalid_argument;
    }
    if (v->partition != 0) {
        fail(name + ": pvisor guests take whole disks, not partitions");
        return Errc::invalid_argument;
    }
    if (v->disk >= kGuestMaxDisks) {
        fail(name + ": pvisor guests have at most " + std::to_string(kGuestMaxDisks) +
             " disks (xvda..xvdzz)");
        return Errc::invalid_argument;
    }
    DiskSpec d;
    d.target = std::move(*m_target);
    d.read_only = m_read_only.value_or(false);
    d.disk = v->disk;
    d.vdev = xvd_name(v->disk);
    d.devid = xvd_devid(v->disk);
    d.spec = std::move(spec);
    return d;
}

} // namespace

Result<DiskSpec> parse_xl_disk_spec(std::string_view spec, std::string& error) {
    return parse_xl_disk_spec(std::vector<std::string>{std::string(spec)}, error);
}

Result<DiskSpec> parse_xl_disk_spec(const std::vector<std::string>& words, std::string& error) {
    DiskParser parser(error);
    return parse_spec_words(parser, words);
}

} // namespace pvisor::toolstack
