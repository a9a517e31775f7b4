// xl_config.cpp: the meaning of each xl.cfg key pvisor reads, checked in file order.
#include "xl_config.hpp"

#include "error_quote.hpp"
#include "unique_fd.hpp"
#include "xl_cfg_syntax.hpp"
#include "xl_number.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <pv/pvisor.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pvisor::toolstack {

namespace {

constexpr std::size_t kMaxPath = 4095; // PATH_MAX less its NUL
constexpr unsigned kMaxVcpus = PV_MAX_VCPUS;

constexpr std::string_view kKeys[] = {
    "name",   "type",     "kernel", "ramdisk", "cmdline", "root",        "extra",     "memory",
    "maxmem", "maxvcpus", "vcpus",  "disk",    "vif",     "on_poweroff", "on_reboot", "on_crash",
    "acpi"};

// xl.cfg keys a pvisor guest cannot have, named as such rather than as unknown; each
// between spaces.
constexpr std::string_view kXlOnlyKeys =
    " builder bootloader bootloader_args uuid pool cpus cpus_soft on_watchdog on_soft_reset"
    " seclabel device_model_version vfb vkb pci serial usb usbctrl usbdev vtpm p9 channel"
    " max_grant_frames max_maptrack_frames cpu_weight cap nomigrate driver_domain e820_host"
    " pvshim vnuma localtime rtc_timeoffset iomem ioports irqs vif2 vdispl vsnd virtio"
    " dm_restrict ";

bool check_key(std::string_view key, std::string& why) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys))
        return true;
    if (kXlOnlyKeys.find(" " + std::string(key) + " ") != std::string_view::npos)
        why = "an xl key pvisor does not support";
    else
        why = "unknown key";
    return false;
}

// A number key: its unit in messages and its bounds.
struct NumberRule {
    std::string_view noun; // "is not a number of NOUN"
    std::uint64_t min;
    std::string_view min_text;
    std::uint64_t max;
    std::string_view max_text;
};

constexpr NumberRule kMemoryRule{"MiB", kMinMemoryMiB, "16 MiB", kMaxMemoryMiB,
                                 "1048576 MiB (1 TiB)"};
constexpr NumberRule kVcpusRule{"vCPUs", 1, "1 vCPU", kMaxVcpus, "64 vCPUs"};
static_assert(kMinMemoryMiB == 16 && kMaxMemoryMiB == 1048576 && kMaxVcpus == 64,
              "the limits' texts above name these numbers");

// The one-string parsers (overloaded, so named here for devices()).
Result<DiskSpec> parse_disk(std::string_view spec, std::string& why) {
    return parse_xl_disk_spec(spec, why);
}

Result<VifSpec> parse_vif(std::string_view spec, std::string& why) {
    return parse_xl_vif_spec(spec, why);
}

// Two disks may not share a vdev, nor an image (two caches writing one file corrupt it).
std::string disk_clash(const DiskSpec& earlier, const DiskSpec& d) {
    if (earlier.disk == d.disk)
        return "vdev " + d.vdev;
    return earlier.target == d.target ? "target " + quoted(d.target) : "";
}

std::string vif_clash(const VifSpec& earlier, const VifSpec& v) {
    if (v.mac && earlier.mac == v.mac)
        return "mac " + format_mac(*v.mac);
    return v.vifname && earlier.vifname == v.vifname ? "vifname " + quoted(*v.vifname) : "";
}

// Checks one file's settings into a DomainConfig; the first failure wins.
class ConfigReader {
  public:
    ConfigReader(std::string_view source, std::string& error) : m_source(source), m_error(error) {}

    bool read(const std::vector<XlSetting>& settings);
    [[nodiscard]] DomainConfig take() && { return std::move(m_cfg); }

  private:
    bool fail(unsigned line, std::string_view key, const std::string& why);
    bool setting(const XlSetting& s);
    const XlAtom* atom(const XlSetting& s); // nullptr (after fail()) for a list
    bool path(const XlSetting& s, std::string& out);
    template <typename T> // rule.max fits in T
    bool number(const XlSetting& s, const NumberRule& rule, T& out);
    bool name(const XlSetting& s);
    bool type(const XlSetting& s);
    bool action(const XlSetting& s, ShutdownAction& out);
    bool boolean(const XlSetting& s, bool& out);
    template <typename Spec, typename Parse, typename Clash>
    bool devices(const XlSetting& s, Parse parse, Clash clash, std::vector<Spec>& out);
    bool finish();
    void command_line();
    [[nodiscard]] const XlSetting* given(std::string_view key) const;

    std::string_view m_source;
    std::string& m_error;
    DomainConfig m_cfg;
    std::map<std::string_view, const XlSetting*> m_given; // each key's setting, if any
};

bool ConfigReader::fail(unsigned line, std::string_view key, const std::string& why) {
    m_error =
        std::string(m_source) + ":" + std::to_string(line) + ": " + std::string(key) + ": " + why;
    return false;
}

bool ConfigReader::read(const std::vector<XlSetting>& settings) {
    for (const XlSetting& s : settings)
        m_given.emplace(s.key, &s);
    for (const XlSetting& s : settings) {
        if (!setting(s))
            return false;
    }
    return finish();
}

bool ConfigReader::setting(const XlSetting& s) {
    const std::string_view k = s.key;
    if (k == "name")
        return name(s);
    if (k == "type")
        return type(s);
    if (k == "kernel")
        return path(s, m_cfg.kernel);
    if (k == "ramdisk")
        return path(s, m_cfg.ramdisk);
    if (k == "memory")
        return number(s, kMemoryRule, m_cfg.memory_mib);
    if (k == "maxmem")
        return number(s, kMemoryRule, m_cfg.maxmem_mib);
    if (k == "vcpus")
        return number(s, kVcpusRule, m_cfg.vcpus);
    if (k == "maxvcpus")
        return number(s, kVcpusRule, m_cfg.maxvcpus);
    if (k == "acpi")
        return boolean(s, m_cfg.acpi);
    if (k == "on_poweroff")
        return action(s, m_cfg.on_poweroff);
    if (k == "on_reboot")
        return action(s, m_cfg.on_reboot);
    if (k == "on_crash")
        return action(s, m_cfg.on_crash);
    if (k == "disk")
        return devices(s, parse_disk, disk_clash, m_cfg.disks);
    if (k == "vif")
        return devices(s, parse_vif, vif_clash, m_cfg.vifs);
    return atom(s) != nullptr; // cmdline, root, extra: any string
}

const XlAtom* ConfigReader::atom(const XlSetting& s) {
    if (s.value.is_list) {
        fail(s.line, s.key, "expected a single value, not a list");
        return nullptr;
    }
    return &s.value.atom;
}

bool ConfigReader::path(const XlSetting& s, std::string& out) {
    const XlAtom* a = atom(s);
    if (a == nullptr)
        return false;
    if (a->text.empty())
        return fail(s.line, s.key, "empty path");
    if (a->text.size() > kMaxPath)
        return fail(s.line, s.key, "path longer than " + std::to_string(kMaxPath) + " bytes");
    out = a->text;
    return true;
}

template <typename T>
bool ConfigReader::number(const XlSetting& s, const NumberRule& rule, T& out) {
    const XlAtom* a = atom(s);
    if (a == nullptr)
        return false;
    if (s.appended)
        return fail(s.line, s.key, "\"+=\" does not apply to numbers");
    const std::string max = " is more than pvisor's maximum of " + std::string(rule.max_text);
    auto n = parse_xl_number(a->text);
    if (!n.ok() && n.error() == Errc::too_big)
        return fail(s.line, s.key, quoted(a->text) + max);
    if (!n.ok())
        return fail(s.line, s.key,
                    quoted(a->text) + " is not a number of " + std::string(rule.noun));
    if (*n > rule.max)
        return fail(s.line, s.key, std::to_string(*n) + max);
    if (*n < rule.min)
        return fail(s.line, s.key,
                    std::to_string(*n) + " is less than pvisor's minimum of " +
                        std::string(rule.min_text));
    out = static_cast<T>(*n);
    return true;
}

bool ConfigReader::name(const XlSetting& s) {
    const XlAtom* a = atom(s);
    if (a == nullptr)
        return false;
    const std::string& n = a->text;
    if (n.empty())
        return fail(s.line, s.key, "empty");
    if (n.size() > kMaxNameLength)
        return fail(s.line, s.key,
                    quoted(n) + " is longer than " + std::to_string(kMaxNameLength) + " bytes");
    const bool allowed = std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
    if (!allowed)
        return fail(s.line, s.key, quoted(n) + " has characters other than A-Z a-z 0-9 _ . -");
    if (std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail(s.line, s.key, quoted(n) + " is all digits (it would read as a domain id)");
    if (n[0] == '-')
        return fail(s.line, s.key, quoted(n) + " starts with \"-\" (it would read as an option)");
    if (n == "." || n == "..")
        return fail(s.line, s.key, quoted(n) + " is not a name");
    m_cfg.name = n;
    return true;
}

bool ConfigReader::type(const XlSetting& s) {
    const XlAtom* a = atom(s);
    if (a == nullptr)
        return false;
    if (a->text == "pv" || a->text == "pvh")
        return true; // pvisor's one kind of guest either way
    if (a->text == "hvm")
        return fail(s.line, s.key, "\"hvm\" is not supported: pvisor runs PV guests (pv or pvh)");
    return fail(s.line, s.key, quoted(a->text) + " is not a guest type (pv, pvh or hvm)");
}

bool ConfigReader::action(const XlSetting& s, ShutdownAction& out) {
    const XlAtom* a = atom(s);
    if (a == nullptr)
        return false;
    const std::string& t = a->text;
    for (auto act : {ShutdownAction::destroy, ShutdownAction::restart, ShutdownAction::preserve}) {
        if (t == shutdown_action_name(act)) {
            out = act;
            return true;
        }
    }
    if (t == "rename-restart" || t == "coredump-destroy" || t == "coredump-restart" ||
        t == "soft-reset")
        return fail(s.line, s.key,
                    quoted(t) + " is not supported by pvisor (destroy, restart or preserve)");
    return fail(s.line, s.key, quoted(t) + " is not an action (destroy, restart or preserve)");
}

// xl's boolean keys (xlu_cfg_get_defbool): 0 or 1, as a bare number or a string.
bool ConfigReader::boolean(const XlSetting& s, bool& out) {
    const XlAtom* a = atom(s);
    if (a == nullptr)
        return false;
    if (s.appended)
        return fail(s.line, s.key, "\"+=\" does not apply to booleans");
    if (a->text != "0" && a->text != "1")
        return fail(s.line, s.key, quoted(a->text) + " is not 0 or 1");
    out = a->text == "1";
    return true;
}

// A disk or vif list: each item parsed by `parse`; `clash(earlier, item)` names what an item
// shares with an earlier one that must differ ("" for nothing).
template <typename Spec, typename Parse, typename Clash>
bool ConfigReader::devices(const XlSetting& s, Parse parse, Clash clash, std::vector<Spec>& out) {
    if (!s.value.is_list)
        return fail(s.line, s.key, "expected a list [ ... ], not a single value");
    for (std::size_t i = 0; i < s.value.items.size(); ++i) {
        const XlAtom& item = s.value.items[i];
        const std::string at = "[" + std::to_string(i) + "]: ";
        std::string why;
        Result<Spec> spec = parse(item.text, why);
        if (!spec.ok())
            return fail(item.line, s.key, at + why);
        for (std::size_t j = 0; j < out.size(); ++j) {
            if (const std::string what = clash(out[j], *spec); !what.empty())
                return fail(item.line, s.key,
                            at + what + " is already used by [" + std::to_string(j) + "]");
        }
        out.push_back(std::move(spec).value());
    }
    return true;
}

const XlSetting* ConfigReader::given(std::string_view key) const {
    const auto it = m_given.find(key);
    return it == m_given.end() ? nullptr : it->second;
}

// Required keys, defaults that depend on other keys, limits between keys, the command line.
bool ConfigReader::finish() {
    const std::string source(m_source);
    for (std::string_view key : {"name", "kernel"}) {
        if (given(key) == nullptr) {
            m_error = source + ": " + std::string(key) + ": required key is missing";
            return false;
        }
    }
    const XlSetting* maxmem = given("maxmem");
    if (given("memory") == nullptr && maxmem != nullptr)
        m_cfg.memory_mib = m_cfg.maxmem_mib; // libxl: target_memkb defaults to max_memkb
    if (maxmem == nullptr)
        m_cfg.maxmem_mib = m_cfg.memory_mib;
    if (m_cfg.maxmem_mib < m_cfg.memory_mib)
        return fail(maxmem->line, "maxmem",
                    std::to_string(m_cfg.maxmem_mib) + " MiB is less than memory (" +
                        std::to_string(m_cfg.memory_mib) + " MiB)");
    const XlSetting* maxvcpus = given("maxvcpus");
    if (maxvcpus == nullptr)
        m_cfg.maxvcpus = m_cfg.vcpus;
    if (m_cfg.maxvcpus < m_cfg.vcpus)
        return fail(maxvcpus->line, "maxvcpus",
                    std::to_string(m_cfg.maxvcpus) + " is less than vcpus (" +
                        std::to_string(m_cfg.vcpus) + ")");
    command_line();
    return true;
}

// xl's parse_cmdline(): cmdline= as it is, else "root=ROOT EXTRA", "root=ROOT" or "EXTRA".
void ConfigReader::command_line() {
    const XlSetting* cmdline = given("cmdline");
    const XlSetting* root = given("root");
    const XlSetting* extra = given("extra");
    if (cmdline != nullptr) {
        m_cfg.cmdline = cmdline->value.atom.text;
        for (const XlSetting* s : {root, extra}) {
            if (s != nullptr)
                m_cfg.warnings.push_back(std::string(m_source) + ":" + std::to_string(s->line) +
                                         ": " + s->key + ": ignored in favour of cmdline=");
        }
    } else if (root != nullptr && extra != nullptr) {
        m_cfg.cmdline = "root=" + root->value.atom.text + " " + extra->value.atom.text;
    } else if (root != nullptr) {
        m_cfg.cmdline = "root=" + root->value.atom.text;
    } else if (extra != nullptr) {
        m_cfg.cmdline = extra->value.atom.text;
    }
}

} // namespace

std::string_view shutdown_action_name(ShutdownAction a) {
    switch (a) {
    case ShutdownAction::destroy:
        return "destroy";
    case ShutdownAction::restart:
        return "restart";
    case ShutdownAction::preserve:
        return "preserve";
    }
    return "destroy";
}

Result<DomainConfig> parse_xl_config(std::string_view source, std::string_view text,
                                     std::string& error) {
    auto settings = parse_xl_cfg_syntax(source, text, check_key, error);
    if (!settings.ok())
        return settings.error();
    ConfigReader reader(source, error);
    if (!reader.read(*settings))
        return Errc::invalid_argument;
    return std::move(reader).take();
}

Result<DomainConfig> load_xl_config(const std::string& path, std::string& error) {
    const auto failed = [&](Errc e, const std::string& why) {
        error = path + ": " + why;
        return e;
    };
    const auto os_error = [&](int err) {
        return failed(err == ENOENT   ? Errc::not_found
                      : err == EACCES ? Errc::permission_denied
                                      : Errc::io_error,
                      std::string("cannot read: ") + std::strerror(err));
    };
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid())
        return os_error(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return os_error(errno);
    if (S_ISDIR(st.st_mode))
        return os_error(EISDIR);
    const std::string too_big = "larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB";
    std::string text;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return os_error(errno);
        if (n == 0)
            break;
        if (text.size() + static_cast<std::size_t>(n) > kMaxConfigBytes)
            return failed(Errc::too_big, too_big);
        text.append(buf, static_cast<std::size_t>(n));
    }
    return parse_xl_config(path, text, error);
}

} // namespace pvisor::toolstack
