// domain_image.cpp: the state records' payloads (docs/save-format.md) and their checks.
#include "domain_image.hpp"

#include <pv/pvisor.h>

#include <cstring>
#include <span>

namespace pvisor::snapshot {
namespace {

using SStatus = BasicStatus<StreamErr>;

// The prefix of every per-vCPU record, and of the variable-length payloads' counts.
struct VcpuPrefix {
    std::uint32_t vcpu;
    std::uint32_t pad;
};
struct CountPrefix {
    std::uint32_t count;
    std::uint32_t pad;
};
struct EvtchnHeader {
    std::uint64_t shared_info_gpa;
    std::uint32_t console_port;
    std::uint32_t store_port;
    std::uint32_t nports;
    std::uint32_t pad;
};
static_assert(sizeof(EvtchnHeader) == 24);
struct TimersHeader {
    std::uint64_t system_time_ns;
    std::uint32_t count;
    std::uint32_t pad;
};
static_assert(sizeof(TimersHeader) == 16);
struct PlatformHeader {
    std::uint32_t command;
    std::uint32_t bar0;
    std::uint32_t int_line;
    std::uint32_t msix_control;
    std::uint32_t nvectors;
    std::uint32_t pad;
};
static_assert(sizeof(PlatformHeader) == 24);

template <typename T>
std::span<const std::byte> bytes_of(const T& v) {
    return std::as_bytes(std::span(&v, 1));
}
template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
    return std::as_bytes(std::span(v.data(), v.size()));
}

// A read cursor over one record's payload.
class Cursor {
  public:
    explicit Cursor(const Record& r) : m_r(r) {}
    template <typename T>
    [[nodiscard]] bool take(T& out) {
        if (m_r.payload.size() - m_pos < sizeof(T))
            return false;
        std::memcpy(&out, m_r.payload.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return true;
    }
    template <typename T>
    [[nodiscard]] bool take_n(std::vector<T>& out, std::uint64_t n) {
        if (n > (m_r.payload.size() - m_pos) / sizeof(T))
            return false;
        out.resize(n);
        std::memcpy(out.data(), m_r.payload.data() + m_pos, n * sizeof(T));
        m_pos += n * sizeof(T);
        return true;
    }
    [[nodiscard]] bool done() const { return m_pos == m_r.payload.size(); }

  private:
    const Record& m_r;
    std::size_t m_pos = 0;
};

std::string where(const Record& r) {
    return "record " + std::to_string(r.index) + " (" + std::string(record_type_name(r.type)) +
           ") at byte " + std::to_string(r.offset);
}

StreamErr refuse(std::string& why, const Record& r, StreamErr e, const std::string& what) {
    why = where(r) + ": " + what;
    return e;
}

StreamErr bad_size(std::string& why, const Record& r) {
    return refuse(why, r, StreamErr::bad_payload,
                  "payload of " + std::to_string(r.payload.size()) + " bytes does not fit");
}

constexpr std::uint32_t kFirstVcpuType = static_cast<std::uint32_t>(RecordType::vcpu_cpuid);
constexpr std::uint32_t kLastVcpuType = static_cast<std::uint32_t>(RecordType::vcpu_events);
constexpr std::uint32_t kAllVcpuBits = (1U << (kLastVcpuType - kFirstVcpuType + 1)) - 1;

// VM and PV records that must appear once, as bits of StateCollector::m_seen.
constexpr RecordType kOnceTypes[] = {RecordType::irqchip, RecordType::pit,    RecordType::clock,
                                     RecordType::evtchn,  RecordType::timers, RecordType::grants,
                                     RecordType::platform, RecordType::balloon, RecordType::store};
constexpr std::size_t kRequiredOnce = 7; // not balloon (absent: nothing given back), store

int once_bit(std::uint32_t type) {
    for (std::size_t i = 0; i < std::size(kOnceTypes); ++i)
        if (static_cast<std::uint32_t>(kOnceTypes[i]) == type)
            return static_cast<int>(i);
    return -1;
}

Status write_vcpu(StreamWriter& w, std::uint32_t id, const VcpuState& v) {
    const VcpuPrefix p{id, 0};
    const CountPrefix nc{static_cast<std::uint32_t>(v.cpuid.size()), 0};
    PV_TRY(w.record(RecordType::vcpu_cpuid, true, {bytes_of(p), bytes_of(nc), bytes_of(v.cpuid)}));
    PV_TRY(w.record(RecordType::vcpu_mp_state, true, {bytes_of(p), bytes_of(v.mp_state)}));
    PV_TRY(w.record(RecordType::vcpu_regs, true, {bytes_of(p), bytes_of(v.regs)}));
    PV_TRY(w.record(RecordType::vcpu_sregs, true, {bytes_of(p), bytes_of(v.sregs)}));
    PV_TRY(w.record(RecordType::vcpu_xsave, true, {bytes_of(p), bytes_of(v.xsave)}));
    PV_TRY(w.record(RecordType::vcpu_xcrs, true, {bytes_of(p), bytes_of(v.xcrs)}));
    PV_TRY(w.record(RecordType::vcpu_debugregs, true, {bytes_of(p), bytes_of(v.debugregs)}));
    PV_TRY(w.record(RecordType::vcpu_lapic, true, {bytes_of(p), bytes_of(v.lapic)}));
    const CountPrefix nm{static_cast<std::uint32_t>(v.msrs.size()), 0};
    PV_TRY(w.record(RecordType::vcpu_msrs, true, {bytes_of(p), bytes_of(nm), bytes_of(v.msrs)}));
    PV_TRY(w.record(RecordType::vcpu_events, true, {bytes_of(p), bytes_of(v.events)}));
    return {};
}

} // namespace

Status write_state_records(StreamWriter& w, const DomainImage& image) {
    for (std::size_t i = 0; i < image.vcpus.size(); ++i)
        PV_TRY(write_vcpu(w, static_cast<std::uint32_t>(i), image.vcpus[i]));
    PV_TRY(w.record(RecordType::irqchip, true, {bytes_of(image.vm.irqchip)}));
    PV_TRY(w.record_obj(RecordType::pit, true, image.vm.pit));
    PV_TRY(w.record_obj(RecordType::clock, true, image.vm.clock));
    const PvState& pv = image.pv;
    const EvtchnHeader eh{pv.shared_info_gpa, pv.console_port, pv.store_port,
                          static_cast<std::uint32_t>(pv.ports.size()), 0};
    PV_TRY(w.record(RecordType::evtchn, true, {bytes_of(eh), bytes_of(pv.ports)}));
    const TimersHeader th{pv.system_time_ns, static_cast<std::uint32_t>(pv.timers.size()), 0};
    PV_TRY(w.record(RecordType::timers, true, {bytes_of(th), bytes_of(pv.timers)}));
    const CountPrefix gh{static_cast<std::uint32_t>(pv.grant_frames.size()), 0};
    PV_TRY(w.record(RecordType::grants, true, {bytes_of(gh), bytes_of(pv.grant_frames)}));
    const CountPrefix bh{static_cast<std::uint32_t>(pv.balloon_out.size()), 0};
    PV_TRY(w.record(RecordType::balloon, true, {bytes_of(bh), bytes_of(pv.balloon_out)}));
    const PlatformDeviceState& pd = image.platform;
    const PlatformHeader ph{pd.command,      pd.bar0, pd.int_line, pd.msix_control,
                            static_cast<std::uint32_t>(pd.vectors.size()), 0};
    PV_TRY(w.record(RecordType::platform, true, {bytes_of(ph), bytes_of(pd.vectors)}));
    if (image.store)
        PV_TRY(w.record(RecordType::store, true, {std::as_bytes(std::span(*image.store))}));
    return {};
}

Result<DomainRecord, StreamErr> decode_domain(const Record& r, std::string& why) {
    if (r.type != static_cast<std::uint32_t>(RecordType::domain))
        return refuse(why, r, StreamErr::missing_record, "the stream must start with a domain record");
    DomainRecord d;
    Cursor c(r);
    if (!c.take(d) || !c.done())
        return bad_size(why, r);
    if (d.vcpus == 0 || d.vcpus > kMaxVcpus || d.vcpus > PV_MAX_VCPUS)
        return refuse(why, r, StreamErr::bad_payload,
                      "vcpus " + std::to_string(d.vcpus) + " is not 1.." +
                          std::to_string(PV_MAX_VCPUS));
    if (d.ram_bytes == 0 || d.ram_bytes % 4096 != 0 || d.ram_bytes > kMaxRamBytes)
        return refuse(why, r, StreamErr::bad_payload,
                      "memory of " + std::to_string(d.ram_bytes) +
                          " bytes is not a page multiple from 4 KiB to 1 TiB");
    if (d.special_gpa != PV_SPECIAL_PAGES_GPA || d.special_pages != PV_SPECIAL_PAGES_COUNT)
        return refuse(why, r, StreamErr::incompatible,
                      "special pages differ from this pvisor's (pv/pvisor.h)");
    if (std::memchr(d.name, 0, sizeof d.name) == nullptr || d.name[0] == 0 || d.domid == 0)
        return refuse(why, r, StreamErr::bad_payload, "domain id 0 or a name without its NUL");
    return d;
}

StateCollector::StateCollector(const DomainRecord& domain) {
    m_image.domain = domain;
    m_image.vcpus.resize(domain.vcpus);
    m_vcpu_seen.assign(domain.vcpus, 0);
}

BasicStatus<StreamErr> StateCollector::add(const Record& r, std::string& why) {
    Cursor c(r);
    if (r.type >= kFirstVcpuType && r.type <= kLastVcpuType) {
        VcpuPrefix p{};
        if (!c.take(p))
            return bad_size(why, r);
        if (p.vcpu >= m_image.vcpus.size())
            return refuse(why, r, StreamErr::bad_payload,
                          "vcpu " + std::to_string(p.vcpu) + " beyond the domain's " +
                              std::to_string(m_image.vcpus.size()));
        const std::uint32_t bit = 1U << (r.type - kFirstVcpuType);
        if ((m_vcpu_seen[p.vcpu] & bit) != 0)
            return refuse(why, r, StreamErr::duplicate_record,
                          "second record of this type for vcpu " + std::to_string(p.vcpu));
        m_vcpu_seen[p.vcpu] |= bit;
        VcpuState& v = m_image.vcpus[p.vcpu];
        bool ok = false;
        CountPrefix n{};
        switch (static_cast<RecordType>(r.type)) {
        case RecordType::vcpu_cpuid: ok = c.take(n) && n.count <= 256 && c.take_n(v.cpuid, n.count); break;
        case RecordType::vcpu_mp_state: ok = c.take(v.mp_state); break;
        case RecordType::vcpu_regs: ok = c.take(v.regs); break;
        case RecordType::vcpu_sregs: ok = c.take(v.sregs); break;
        case RecordType::vcpu_xsave: ok = c.take(v.xsave); break;
        case RecordType::vcpu_xcrs: ok = c.take(v.xcrs); break;
        case RecordType::vcpu_debugregs: ok = c.take(v.debugregs); break;
        case RecordType::vcpu_lapic: ok = c.take(v.lapic); break;
        case RecordType::vcpu_msrs: ok = c.take(n) && n.count <= 1024 && c.take_n(v.msrs, n.count); break;
        case RecordType::vcpu_events: ok = c.take(v.events); break;
        default: break;
        }
        if (!ok || !c.done())
            return bad_size(why, r);
        return {};
    }
    const int bit = once_bit(r.type);
    if (bit < 0)
        return refuse(why, r, StreamErr::bad_payload, "not a state record");
    if ((m_seen & (1U << bit)) != 0)
        return refuse(why, r, StreamErr::duplicate_record, "appears twice");
    m_seen |= 1U << bit;
    PvState& pv = m_image.pv;
    bool ok = false;
    switch (static_cast<RecordType>(r.type)) {
    case RecordType::irqchip: ok = c.take(m_image.vm.irqchip); break;
    case RecordType::pit: ok = c.take(m_image.vm.pit); break;
    case RecordType::clock: ok = c.take(m_image.vm.clock); break;
    case RecordType::evtchn: {
        EvtchnHeader h{};
        ok = c.take(h) && c.take_n(pv.ports, h.nports);
        pv.shared_info_gpa = h.shared_info_gpa;
        pv.console_port = h.console_port;
        pv.store_port = h.store_port;
        break;
    }
    case RecordType::timers: {
        TimersHeader h{};
        ok = c.take(h) && h.count == m_image.vcpus.size() && c.take_n(pv.timers, h.count);
        pv.system_time_ns = h.system_time_ns;
        break;
    }
    case RecordType::grants: {
        CountPrefix n{};
        ok = c.take(n) && c.take_n(pv.grant_frames, n.count);
        break;
    }
    case RecordType::balloon: {
        CountPrefix n{};
        ok = c.take(n) && c.take_n(pv.balloon_out, n.count);
        break;
    }
    case RecordType::platform: {
        PlatformHeader h{};
        PlatformDeviceState& pd = m_image.platform;
        ok = c.take(h) && h.nvectors == m_image.vcpus.size() && c.take_n(pd.vectors, h.nvectors);
        pd.command = h.command;
        pd.bar0 = h.bar0;
        pd.int_line = h.int_line;
        pd.msix_control = h.msix_control;
        break;
    }
    case RecordType::store:
        // Checked whole by Store::restore when the store starts from it.
        m_image.store.emplace(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
        return {};
    default: break;
    }
    if (!ok || !c.done())
        return bad_size(why, r);
    return {};
}

Result<DomainImage, StreamErr> StateCollector::finish(std::string& why) {
    for (std::size_t v = 0; v < m_vcpu_seen.size(); ++v) {
        const std::uint32_t missing = kAllVcpuBits & ~m_vcpu_seen[v];
        if (missing != 0) {
            const auto type = kFirstVcpuType + static_cast<std::uint32_t>(__builtin_ctz(missing));
            why = "vcpu " + std::to_string(v) + " has no " + std::string(record_type_name(type)) +
                  " record";
            return StreamErr::missing_record;
        }
    }
    for (std::size_t i = 0; i < kRequiredOnce; ++i) {
        if ((m_seen & (1U << i)) == 0) {
            why = "no " + std::string(record_type_name(static_cast<std::uint32_t>(kOnceTypes[i]))) +
                  " record";
            return StreamErr::missing_record;
        }
    }
    return std::move(m_image);
}

} // namespace pvisor::snapshot
