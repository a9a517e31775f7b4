// event_channels.cpp: port state machine and 2-level pending/mask/selector updates.
#include "event_channels.hpp"

#include <pv/xen.h>

#include <cstddef>
#include <cstring>

namespace pvisor {

namespace {
constexpr std::size_t kPendingOff = offsetof(struct shared_info, evtchn_pending);
constexpr std::size_t kMaskOff = offsetof(struct shared_info, evtchn_mask);
constexpr std::size_t vcpu_off(unsigned v) { return v * sizeof(struct vcpu_info); }
constexpr bool per_vcpu_virq(std::uint32_t virq) { return virq == VIRQ_TIMER || virq == VIRQ_DEBUG; }
} // namespace

Status EventChannels::set_shared_info(std::uint64_t gpa) {
    if (gpa % kPageSize != 0)
        return Errc::invalid_argument;
    PV_TRY_ASSIGN(page, m_platform.memory().translate(gpa, kPageSize));
    std::memset(page.data(), 0, page.size());
    m_shared_info_gpa.store(gpa, std::memory_order_release);
    return {};
}

std::optional<std::uint64_t> EventChannels::shared_info_gpa() const {
    const std::uint64_t gpa = m_shared_info_gpa.load(std::memory_order_acquire);
    if (gpa == 0)
        return std::nullopt;
    return gpa;
}

std::uint64_t* EventChannels::word(std::size_t offset) const {
    const std::uint64_t gpa = m_shared_info_gpa.load(std::memory_order_acquire);
    if (gpa == 0)
        return nullptr;
    auto span = m_platform.memory().translate(gpa + offset, sizeof(std::uint64_t));
    if (!span.ok())
        return nullptr;
    // SAFETY: shared_info offsets are 8-byte aligned inside a page-aligned guest page that
    // lives as long as GuestMemory; the guest updates these words with locked atomics too.
    return reinterpret_cast<std::uint64_t*>(span->data());
}

void EventChannels::set_pending(std::uint32_t port, std::uint32_t vcpu) {
    // The observer runs after every store the guest (and a sleeping vCPU's check) can see.
    if (mark_pending(port, vcpu) && m_pending_observer)
        m_pending_observer();
}

bool EventChannels::mark_pending(std::uint32_t port, std::uint32_t vcpu) {
    std::uint64_t* pending = word(kPendingOff + (port / 64) * 8);
    std::uint64_t* mask = word(kMaskOff + (port / 64) * 8);
    std::uint64_t* sel = word(vcpu_off(vcpu) + offsetof(struct vcpu_info, evtchn_pending_sel));
    if (pending == nullptr || mask == nullptr || sel == nullptr || vcpu >= XEN_LEGACY_MAX_VCPUS)
        return false; // no shared_info yet: nothing the guest could see
    m_counters.set_pending.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t bit = 1ULL << (port % 64);
    // 1. test_and_set the pending bit; an already pending port is not raised again.
    if (std::atomic_ref<std::uint64_t>(*pending).fetch_or(bit) & bit)
        return false;
    // 2. unmasked and selector newly set: mark upcall pending and inject.
    if (std::atomic_ref<std::uint64_t>(*mask).load() & bit)
        return true;
    const std::uint64_t selbit = 1ULL << (port / 64);
    if (std::atomic_ref<std::uint64_t>(*sel).fetch_or(selbit) & selbit)
        return true;
    auto flag = m_platform.memory().translate(m_shared_info_gpa.load() + vcpu_off(vcpu), 1);
    if (!flag.ok())
        return true;
    // SAFETY: evtchn_upcall_pending is the first byte of this vCPU's vcpu_info.
    std::atomic_ref<std::uint8_t>(*reinterpret_cast<std::uint8_t*>(flag->data())).store(1);
    m_counters.upcalls_raised.fetch_add(1, std::memory_order_relaxed);
    m_platform.raise_upcall(vcpu);
    return true;
}

Result<std::uint32_t> EventChannels::alloc_port_locked() {
    for (std::uint32_t p = 1; p < kNrPorts; ++p) {
        if (m_ports[p].state == State::closed)
            return p;
    }
    return Errc::no_space;
}

Result<std::uint32_t> EventChannels::alloc_unbound(std::uint16_t remote_dom) {
    if (remote_dom != PV_DOMID_HOST && remote_dom != DOMID_SELF)
        return Errc::not_found; // -ESRCH: pvisor hosts one guest; its only peer is dom0
    std::lock_guard lock(m_lock);
    PV_TRY_ASSIGN(port, alloc_port_locked());
    m_ports[port] = Port{State::unbound, 0, 0, remote_dom, 0, 0};
    return port;
}

Result<std::uint32_t> EventChannels::bind_virq(std::uint32_t virq, std::uint32_t vcpu) {
    if (virq >= NR_VIRQS || vcpu >= m_vcpus || (!per_vcpu_virq(virq) && vcpu != 0))
        return Errc::invalid_argument;
    std::lock_guard lock(m_lock);
    if (m_virq_port[vcpu][virq] != 0)
        return Errc::exists;
    PV_TRY_ASSIGN(port, alloc_port_locked());
    m_ports[port] = Port{State::virq, vcpu, virq, 0, 0, 0};
    m_virq_port[vcpu][virq] = port;
    return port;
}

Result<std::uint32_t> EventChannels::bind_ipi(std::uint32_t vcpu) {
    if (vcpu >= m_vcpus)
        return Errc::invalid_argument;
    std::lock_guard lock(m_lock);
    PV_TRY_ASSIGN(port, alloc_port_locked());
    m_ports[port] = Port{State::ipi, vcpu, 0, 0, 0, 0};
    return port;
}

Result<std::uint32_t> EventChannels::bind_interdomain(std::uint16_t remote_dom,
                                                      std::uint32_t remote_port) {
    // Loopback (DOMID_SELF): connect two guest ports, as Xen allows.
    if (remote_dom != DOMID_SELF && remote_dom != PV_DOMID_GUEST)
        return Errc::not_found; // host-offered ports are pre-bound by pvisor (bind_host_port)
    std::uint32_t local = 0;
    {
        std::lock_guard lock(m_lock);
        if (!valid_port(remote_port) || m_ports[remote_port].state != State::unbound ||
            m_ports[remote_port].remote_dom != DOMID_SELF)
            return Errc::invalid_argument;
        PV_TRY_ASSIGN(port, alloc_port_locked());
        local = port;
        m_ports[local] = Port{State::interdomain, 0, 0, DOMID_SELF, remote_port, 0};
        m_ports[remote_port].state = State::interdomain;
        m_ports[remote_port].remote_port = local;
    }
    set_pending(local, 0); // Xen leaves the new local port pending
    return local;
}

Status EventChannels::bind_vcpu(std::uint32_t port, std::uint32_t vcpu) {
    if (!valid_port(port) || vcpu >= m_vcpus)
        return Errc::invalid_argument;
    std::lock_guard lock(m_lock);
    Port& p = m_ports[port];
    if (p.state == State::closed || p.state == State::ipi ||
        (p.state == State::virq && per_vcpu_virq(p.virq)))
        return Errc::invalid_argument;
    p.vcpu = vcpu;
    return {};
}

Status EventChannels::close(std::uint32_t port) {
    if (!valid_port(port))
        return Errc::invalid_argument;
    std::lock_guard lock(m_lock);
    Port& p = m_ports[port];
    switch (p.state) {
    case State::closed: return Errc::invalid_argument;
    case State::host: return Errc::permission_denied; // pvisor's own services stay bound
    case State::virq: m_virq_port[p.vcpu][p.virq] = 0; break;
    case State::interdomain:
        if (valid_port(p.remote_port) && m_ports[p.remote_port].state == State::interdomain)
            m_ports[p.remote_port].state = State::unbound; // the peer's end waits for a rebind
        break;
    case State::unbound:
    case State::ipi: break;
    }
    p = Port{};
    return {};
}

Status EventChannels::send(std::uint32_t port) {
    m_counters.sends.fetch_add(1, std::memory_order_relaxed);
    std::function<void()> host_cb;
    std::uint32_t target = 0;
    std::uint32_t target_vcpu = 0;
    {
        std::lock_guard lock(m_lock);
        if (!valid_port(port)) {
            m_counters.bad_sends.fetch_add(1, std::memory_order_relaxed);
            return Errc::invalid_argument;
        }
        const Port& p = m_ports[port];
        switch (p.state) {
        case State::ipi: target = port; target_vcpu = p.vcpu; break;
        case State::interdomain:
            target = p.remote_port;
            target_vcpu = m_ports[p.remote_port].vcpu;
            break;
        case State::host: host_cb = m_host[p.host].on_send; break;
        case State::unbound: return {}; // Xen drops sends on an unconnected port
        case State::closed:
        case State::virq:
            m_counters.bad_sends.fetch_add(1, std::memory_order_relaxed);
            return Errc::invalid_argument;
        }
    }
    if (host_cb) {
        m_counters.host_notifies.fetch_add(1, std::memory_order_relaxed);
        host_cb();
    } else {
        set_pending(target, target_vcpu);
    }
    return {};
}

Status EventChannels::unmask(std::uint32_t port) {
    if (!valid_port(port))
        return Errc::invalid_argument;
    std::uint32_t vcpu = 0;
    {
        std::lock_guard lock(m_lock);
        if (m_ports[port].state == State::closed)
            return Errc::invalid_argument;
        vcpu = m_ports[port].vcpu;
    }
    std::uint64_t* pending = word(kPendingOff + (port / 64) * 8);
    std::uint64_t* mask = word(kMaskOff + (port / 64) * 8);
    if (pending == nullptr || mask == nullptr)
        return Errc::invalid_argument;
    const std::uint64_t bit = 1ULL << (port % 64);
    // Xen's unmask: if the mask was set and the port is pending, raise it now.
    const bool was_masked = std::atomic_ref<std::uint64_t>(*mask).fetch_and(~bit) & bit;
    if (was_masked && (std::atomic_ref<std::uint64_t>(*pending).load() & bit)) {
        std::atomic_ref<std::uint64_t>(*pending).fetch_and(~bit);
        set_pending(port, vcpu);
    }
    return {};
}

Result<evtchn_status> EventChannels::status(std::uint32_t port) const {
    if (!valid_port(port))
        return Errc::invalid_argument;
    std::lock_guard lock(m_lock);
    const Port& p = m_ports[port];
    evtchn_status st{};
    st.dom = DOMID_SELF;
    st.port = port;
    st.vcpu = p.vcpu;
    switch (p.state) {
    case State::closed: st.status = EVTCHNSTAT_closed; break;
    case State::unbound: st.status = EVTCHNSTAT_unbound; st.u.unbound.dom = p.remote_dom; break;
    case State::interdomain:
        st.status = EVTCHNSTAT_interdomain;
        st.u.interdomain.dom = p.remote_dom;
        st.u.interdomain.port = p.remote_port;
        break;
    case State::host:
        st.status = EVTCHNSTAT_interdomain;
        st.u.interdomain.dom = PV_DOMID_HOST;
        break;
    case State::virq: st.status = EVTCHNSTAT_virq; st.u.virq = p.virq; break;
    case State::ipi: st.status = EVTCHNSTAT_ipi; break;
    }
    return st;
}

Result<std::uint32_t> EventChannels::bind_host_port(HostBinding binding) {
    std::lock_guard lock(m_lock);
    PV_TRY_ASSIGN(port, alloc_port_locked());
    m_ports[port] = Port{State::host, 0, 0, PV_DOMID_HOST, 0, add_host_locked(std::move(binding))};
    return port;
}

std::size_t EventChannels::add_host_locked(HostBinding binding) {
    if (m_host_free.empty()) {
        m_host.push_back(std::move(binding));
        return m_host.size() - 1;
    }
    const std::size_t slot = m_host_free.back();
    m_host_free.pop_back();
    m_host[slot] = std::move(binding);
    return slot;
}

Status EventChannels::bind_unbound_to_host(std::uint32_t port, HostBinding binding) {
    std::lock_guard lock(m_lock);
    if (!valid_port(port) || m_ports[port].state != State::unbound ||
        m_ports[port].remote_dom != PV_DOMID_HOST)
        return Errc::invalid_argument;
    Port& p = m_ports[port];
    p.state = State::host;
    p.host = add_host_locked(std::move(binding));
    p.remote_port = 1; // marks a backend binding: only these may return to unbound
    return {};
}

Status EventChannels::unbind_to_unbound(std::uint32_t port) {
    std::lock_guard lock(m_lock);
    if (!valid_port(port) || m_ports[port].state != State::host || m_ports[port].remote_port != 1)
        return Errc::invalid_argument;
    Port& p = m_ports[port];
    m_host[p.host] = HostBinding{};
    m_host_free.push_back(p.host);
    p.state = State::unbound;
    p.host = 0;
    p.remote_port = 0;
    return {};
}

Status EventChannels::set_host_handler(std::uint32_t port, std::function<void()> on_send) {
    std::lock_guard lock(m_lock);
    if (!valid_port(port) || m_ports[port].state != State::host)
        return Errc::invalid_argument;
    m_host[m_ports[port].host].on_send = std::move(on_send);
    return {};
}

void EventChannels::raise_host_port(std::uint32_t port) {
    std::uint32_t vcpu = 0;
    {
        std::lock_guard lock(m_lock);
        if (!valid_port(port) || m_ports[port].state != State::host)
            return;
        vcpu = m_ports[port].vcpu;
    }
    set_pending(port, vcpu);
}

void EventChannels::raise_virq(std::uint32_t virq, std::uint32_t vcpu) {
    std::uint32_t port = 0;
    {
        std::lock_guard lock(m_lock);
        if (vcpu >= m_vcpus || virq >= NR_VIRQS)
            return;
        port = m_virq_port[vcpu][virq];
    }
    if (port != 0)
        set_pending(port, vcpu);
}

void EventChannels::reraise(unsigned vcpu) {
    if (upcall_pending(vcpu))
        m_platform.raise_upcall(vcpu);
}

bool EventChannels::upcall_pending(unsigned vcpu) const {
    const std::uint64_t gpa = m_shared_info_gpa.load(std::memory_order_acquire);
    if (gpa == 0 || vcpu >= XEN_LEGACY_MAX_VCPUS)
        return false;
    auto flag = m_platform.memory().translate(gpa + vcpu_off(vcpu), 1);
    if (!flag.ok())
        return false;
    // SAFETY: first byte of the vCPU's vcpu_info inside the shared_info page.
    return std::atomic_ref<std::uint8_t>(*reinterpret_cast<std::uint8_t*>(flag->data())).load() != 0;
}

bool EventChannels::port_pending(std::uint32_t port) const {
    if (!valid_port(port))
        return false;
    std::uint64_t* pending = word(kPendingOff + (port / 64) * 8);
    return pending != nullptr &&
           (std::atomic_ref<std::uint64_t>(*pending).load() & (1ULL << (port % 64))) != 0;
}

} // namespace pvisor

namespace pvisor {

std::vector<SavedPort> EventChannels::save() const {
    std::lock_guard lock(m_lock);
    std::vector<SavedPort> out;
    for (std::uint32_t p = 1; p < kNrPorts; ++p) {
        const Port& port = m_ports[p];
        SavedPort s;
        s.port = p;
        s.vcpu = port.vcpu;
        s.virq = port.virq;
        s.remote_dom = port.remote_dom;
        s.remote_port = port.remote_port;
        switch (port.state) {
        case State::closed: continue;
        case State::unbound: s.state = static_cast<std::uint8_t>(SavedPortState::unbound); break;
        case State::interdomain:
            s.state = static_cast<std::uint8_t>(SavedPortState::interdomain);
            break;
        case State::virq: s.state = static_cast<std::uint8_t>(SavedPortState::virq); break;
        case State::ipi: s.state = static_cast<std::uint8_t>(SavedPortState::ipi); break;
        case State::host:
            if (port.remote_port == 1) { // a backend's: it binds it again after restore
                s.state = static_cast<std::uint8_t>(SavedPortState::unbound);
                s.remote_dom = PV_DOMID_HOST;
                s.remote_port = 0;
            } else {
                s.state = static_cast<std::uint8_t>(SavedPortState::host);
            }
            break;
        }
        out.push_back(s);
    }
    return out;
}

Status EventChannels::restore(std::uint64_t shared_info_gpa, const std::vector<SavedPort>& ports) {
    if (shared_info_gpa != 0) {
        if (shared_info_gpa % kPageSize != 0 ||
            !m_platform.memory().is_ram_frame(shared_info_gpa >> kPageShift))
            return Errc::invalid_argument;
    }
    std::lock_guard lock(m_lock);
    for (const SavedPort& s : ports) {
        if (!valid_port(s.port) || s.vcpu >= m_vcpus)
            return Errc::invalid_argument;
        Port& p = m_ports[s.port];
        const auto state = static_cast<SavedPortState>(s.state);
        if (state == SavedPortState::host) {
            // pvisor's own ports are bound again by the services at the same numbers.
            if (p.state != State::host || p.remote_port != 0)
                return Errc::invalid_argument;
            p.vcpu = s.vcpu;
            continue;
        }
        if (p.state != State::closed)
            return Errc::invalid_argument;
        switch (state) {
        case SavedPortState::unbound:
            if (s.remote_dom != PV_DOMID_HOST && s.remote_dom != DOMID_SELF)
                return Errc::invalid_argument;
            p = Port{State::unbound, s.vcpu, 0, s.remote_dom, 0, 0};
            break;
        case SavedPortState::interdomain:
            if (!valid_port(s.remote_port))
                return Errc::invalid_argument;
            p = Port{State::interdomain, s.vcpu, 0, DOMID_SELF, s.remote_port, 0};
            break;
        case SavedPortState::virq:
            if (s.virq >= NR_VIRQS || (!per_vcpu_virq(s.virq) && s.vcpu != 0) ||
                m_virq_port[s.vcpu][s.virq] != 0)
                return Errc::invalid_argument;
            p = Port{State::virq, s.vcpu, s.virq, 0, 0, 0};
            m_virq_port[s.vcpu][s.virq] = s.port;
            break;
        case SavedPortState::ipi: p = Port{State::ipi, s.vcpu, 0, 0, 0, 0}; break;
        default: return Errc::invalid_argument;
        }
    }
    m_shared_info_gpa.store(shared_info_gpa, std::memory_order_release);
    return {};
}

} // namespace pvisor
