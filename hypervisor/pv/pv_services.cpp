// pv_services.cpp: the hypercall table and the domain's PV services behind PvHooks.
#include "pv_services.hpp"

#include "balloon.hpp"
#include "event_channels.hpp"
#include "event_loop.hpp"
#include "grant_table.hpp"
#include "guest_access.hpp"
#include "pv_console.hpp"
#include "timers.hpp"

#include <pv/hvm.h>
#include <pv/memory.h>
#include <pv/pvisor.h>
#include <pv/sched.h>
#include <pv/vcpu.h>
#include <pv/version.h>
#include <pv/xen.h>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <optional>

namespace pvisor {

// The one place where host errors become Xen errno values.
std::int32_t xen_errno(Errc e) {
    switch (e) {
    case Errc::ok: return 0;
    case Errc::invalid_argument: return -XEN_EINVAL;
    case Errc::bad_address: return -XEN_EFAULT;
    case Errc::no_space: return -XEN_ENOSPC;
    case Errc::not_found: return -XEN_ESRCH;
    case Errc::exists: return -XEN_EEXIST;
    case Errc::permission_denied: return -XEN_EPERM;
    case Errc::busy: return -XEN_EBUSY;
    case Errc::again: return -XEN_EAGAIN;
    case Errc::not_supported: return -XEN_ENOSYS;
    case Errc::io_error: return -XEN_EIO;
    case Errc::no_memory: return -XEN_ENOMEM;
    case Errc::too_big: return -XEN_E2BIG;
    case Errc::timed_out: return -XEN_ETIME;
    case Errc::protocol_error: return -XEN_EINVAL;
    case Errc::system_error: return -XEN_EIO;
    }
    return -XEN_EINVAL;
}

namespace {

std::int32_t rc(Status s) { return xen_errno(s.error()); }

class Services;
using Handler = std::int32_t (Services::*)(VcpuAccess&, const HypercallRegs&);

class Services final : public PvServices {
  public:
    Services(Platform& p, const PvConfig& c)
        : m_platform(p), m_config(c), m_evtchn(p, c.vcpus), m_grants(p.memory()),
          m_balloon(p.memory()) {
        m_evtchn.set_pending_observer([this] { wake_blocked(); });
    }

    Status init();
    std::int32_t hypercall(VcpuAccess& vcpu, const HypercallRegs& regs) override;
    void notify(VcpuAccess&, std::uint32_t port) override { (void)m_evtchn.send(port); }
    void upcall_enabled(unsigned vcpu) override { m_evtchn.reraise(vcpu); }
    void vcpus_stopping() override {
        m_stopping.store(true);
        wake_blocked(true);
    }
    void pause_changed(bool paused) override {
        m_paused.store(paused);
        m_timers->set_paused(paused);
        if (paused)
            wake_blocked(true);
    }
    Status start() override { return m_loop->start(); }
    void stop() override { m_loop->stop(); }
    std::uint32_t store_port() const override { return m_store_port; }
    Status connect_host_port(std::uint32_t port, int eventfd) override;
    Status bind_backend_port(std::uint32_t port, int eventfd) override;
    Status unbind_backend_port(std::uint32_t port, int eventfd) override;
    void raise_host_port(std::uint32_t port) override { m_evtchn.raise_host_port(port); }
    void console_input(const char* data, std::size_t len) override {
        if (len > 0 && m_console->push_input(data, len) > 0)
            m_evtchn.raise_host_port(m_console_port);
    }
    void append_counters(std::string& out) const override;
    std::vector<std::uint64_t> grant_frame_gpas() const override { return m_grants.frame_gpas(); }
    PvState save_state() const override;
    Status restore_state(const PvState& state, std::string& why) override;
    void kick_pending() override {
        m_timers->deliver_held();
        for (unsigned v = 0; v < m_config.vcpus; ++v)
            m_evtchn.reraise(v);
    }

    // Handlers, one per hypercall (Xen's numbers, pv/xen.h).
    std::int32_t hc_memory_op(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_multicall(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_set_timer_op(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_xen_version(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_console_io(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_vcpu_op(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_sched_op(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_event_channel_op(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_hvm_op(VcpuAccess&, const HypercallRegs&);
    std::int32_t hc_grant_table_op(VcpuAccess&, const HypercallRegs&);

  private:
    std::int32_t dispatch(VcpuAccess& vcpu, const HypercallRegs& regs, bool nested);
    std::int32_t reservation(VcpuAccess&, std::uint64_t arg, bool decrease);
    std::optional<BalloonRefusal> give_back(std::uint64_t gfn);
    std::optional<BalloonRefusal> take_back(std::uint64_t gfn);
    std::int32_t add_to_physmap(VcpuAccess&, std::uint64_t arg);
    void refresh_time(VcpuAccess& vcpu);
    std::int32_t block(VcpuAccess& vcpu, std::uint64_t deadline_ns, const std::uint32_t* ports,
                       std::uint32_t nr);
    const GuestMemory& mem() const { return m_platform.memory(); }

    Platform& m_platform;
    PvConfig m_config;
    EventChannels m_evtchn;
    GrantTable m_grants;
    Balloon m_balloon;
    SystemClock m_clock;
    std::unique_ptr<EventLoop> m_loop;
    std::unique_ptr<VcpuTimers> m_timers;
    std::unique_ptr<PvConsole> m_console;
    std::uint32_t m_console_port = 0;
    std::uint32_t m_store_port = 0;
    // Wakes SCHEDOP_block/poll sleepers after a port became pending (or the VM stops).
    void wake_blocked(bool always = false) {
        if (!always && m_blocked.load() == 0)
            return;
        { std::lock_guard lock(m_block_lock); } // a sleeper is either before its check or waiting
        m_block_cv.notify_all();
    }

    std::mutex m_block_lock;
    std::condition_variable m_block_cv;
    std::atomic<unsigned> m_blocked{0};
    std::atomic<bool> m_stopping{false};
    std::atomic<bool> m_paused{false}; // blocked vCPUs return at once, to park
    std::array<std::atomic<std::uint64_t>, PV_NR_HYPERCALLS> m_calls{};
    std::array<std::atomic<std::uint64_t>, PV_NR_HYPERCALLS> m_errors{};
};

// X-macro: number, handler. Every other slot answers -ENOSYS.
#define PV_HYPERCALLS(X)                                                                           \
    X(__HYPERVISOR_memory_op, hc_memory_op)                                                        \
    X(__HYPERVISOR_multicall, hc_multicall)                                                        \
    X(__HYPERVISOR_set_timer_op, hc_set_timer_op)                                                  \
    X(__HYPERVISOR_xen_version, hc_xen_version)                                                    \
    X(__HYPERVISOR_console_io, hc_console_io)                                                      \
    X(__HYPERVISOR_vcpu_op, hc_vcpu_op)                                                            \
    X(__HYPERVISOR_sched_op, hc_sched_op)                                                          \
    X(__HYPERVISOR_event_channel_op, hc_event_channel_op)                                          \
    X(__HYPERVISOR_hvm_op, hc_hvm_op)                                                              \
    X(__HYPERVISOR_grant_table_op, hc_grant_table_op)

constexpr std::array<Handler, PV_NR_HYPERCALLS> make_table() {
    std::array<Handler, PV_NR_HYPERCALLS> t{};
#define PV_SLOT(nr, fn) t[nr] = &Services::fn;
    PV_HYPERCALLS(PV_SLOT)
#undef PV_SLOT
    return t;
}
constexpr std::array<Handler, PV_NR_HYPERCALLS> kTable = make_table();

// Hypercall names for the counters: the X-macro's numbers without the "__HYPERVISOR_" prefix.
constexpr std::array<const char*, PV_NR_HYPERCALLS> make_names() {
    std::array<const char*, PV_NR_HYPERCALLS> n{};
#define PV_NAME(nr, fn) n[nr] = #nr + sizeof("__HYPERVISOR_") - 1;
    PV_HYPERCALLS(PV_NAME)
#undef PV_NAME
    return n;
}
constexpr std::array<const char*, PV_NR_HYPERCALLS> kNames = make_names();

// GrantFault order (grant_table.hpp).
static_assert(kGrantFaultCount == 10, "name every GrantFault");
constexpr std::array<const char*, kGrantFaultCount> kGrantFaultNames = {
    "bad_domain", "frame_domain", "bad_gntref", "revoked",      "foreign",
    "read_only",  "contended",    "bad_page",   "bad_copy_arg", "bad_placement"};

// BalloonRefusal order (balloon.hpp).
static_assert(kBalloonRefusalCount == 5, "name every BalloonRefusal");
constexpr std::array<const char*, kBalloonRefusalCount> kBalloonRefusalNames = {
    "not_ram", "in_use", "already_out", "not_out", "discard"};

void append(std::string& out, const std::string& name, std::uint64_t v) {
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
}

void Services::append_counters(std::string& out) const {
    for (std::size_t nr = 0; nr < PV_NR_HYPERCALLS; ++nr) {
        if (kNames[nr] == nullptr)
            continue;
        append(out, std::string("hypercall.") + kNames[nr] + ".calls", m_calls[nr].load());
        append(out, std::string("hypercall.") + kNames[nr] + ".errors", m_errors[nr].load());
    }
    const EventCounters& e = m_evtchn.counters();
    append(out, "evtchn.sends", e.sends.load());
    append(out, "evtchn.set_pending", e.set_pending.load());
    append(out, "evtchn.upcalls_raised", e.upcalls_raised.load());
    append(out, "evtchn.host_notifies", e.host_notifies.load());
    append(out, "evtchn.bad_sends", e.bad_sends.load());
    append(out, "timer.fires", m_timers->fires());
    append(out, "timer.held_while_paused", m_timers->held());
    append(out, "grant.frames", m_grants.nr_frames());
    append(out, "grant.copies", m_grants.copies_done());
    for (std::size_t f = 0; f < kGrantFaultCount; ++f)
        append(out, std::string("grant.faults.") + kGrantFaultNames[f],
               m_grants.faults(static_cast<GrantFault>(f)));
    append(out, "balloon.pages", m_balloon.pages_out());
    append(out, "balloon.decreased", m_balloon.decreased());
    append(out, "balloon.populated", m_balloon.populated());
    for (std::size_t r = 0; r < kBalloonRefusalCount; ++r)
        append(out, std::string("balloon.refused.") + kBalloonRefusalNames[r],
               m_balloon.refused(static_cast<BalloonRefusal>(r)));
    if (m_console) {
        append(out, "console.bytes_out", m_console->bytes_out());
        append(out, "console.bytes_in", m_console->bytes_in());
        append(out, "console.broken", m_console->broken() ? 1 : 0);
    }
}

Status Services::init() {
    PV_TRY_ASSIGN(loop, EventLoop::create());
    m_loop = std::move(loop);
    PV_TRY_ASSIGN(timers, VcpuTimers::create(m_config.vcpus, m_evtchn, *m_loop, m_clock));
    m_timers = std::move(timers);
    const std::uint64_t console_gpa = PV_SPECIAL_PAGES_GPA + PV_SPECIAL_PAGE_CONSOLE * kPageSize;
    m_console = std::make_unique<PvConsole>(mem(), console_gpa,
                                            m_config.console_on_stdio ? STDOUT_FILENO : -1,
                                            m_config.console_tap);
    PvConsole* console = m_console.get();
    PV_TRY_ASSIGN(cport, m_evtchn.bind_host_port({[console] { console->drain_output(); }}));
    m_console_port = cport;
    // The store server attaches to this port; until then guest sends are counted only.
    PV_TRY_ASSIGN(sport, m_evtchn.bind_host_port({[] {}}));
    m_store_port = sport;
    if (m_config.console_on_stdio) {
        // stdin may be something epoll refuses (/dev/null, a regular file): the console
        // then has no input, which is what such a stdin means anyway.
        std::function<void()> on_escape = m_config.on_console_escape;
        (void)m_loop->watch(STDIN_FILENO, [this, on_escape] {
            char buf[256];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0)
                return;
            auto len = static_cast<std::size_t>(n);
            const std::size_t keep = on_escape ? bytes_before_escape(buf, len) : len;
            console_input(buf, keep);
            if (keep < len)
                on_escape();
        }).ok();
    }
    return {};
}

PvState Services::save_state() const {
    PvState st;
    st.system_time_ns = m_clock.now_ns();
    st.shared_info_gpa = m_evtchn.shared_info_gpa().value_or(0);
    st.console_port = m_console_port;
    st.store_port = m_store_port;
    st.ports = m_evtchn.save();
    st.timers = m_timers->save();
    st.grant_frames = m_grants.frame_gpas();
    st.balloon_out = m_balloon.out_frames();
    return st;
}

Status Services::restore_state(const PvState& st, std::string& why) {
    auto refuse = [&why](const char* what) {
        why = what;
        return Errc::invalid_argument;
    };
    if (st.console_port != m_console_port || st.store_port != m_store_port)
        return refuse("evtchn: the console and store ports differ from this pvisor's");
    m_clock.resume_at(st.system_time_ns);
    if (!m_evtchn.restore(st.shared_info_gpa, st.ports).ok())
        return refuse("evtchn: a port, its vCPU or VIRQ, or shared_info is out of range");
    if (!m_grants.restore_frames(st.grant_frames).ok())
        return refuse("grants: a frame is not a RAM page, is listed twice, or too many");
    if (!m_balloon.restore_out(st.balloon_out).ok())
        return refuse("balloon: a frame is not RAM or is listed twice");
    if (!m_timers->restore(st.timers).ok())
        return refuse("timers: not one per vCPU, or a period under 1 ms");
    return {};
}

Status Services::connect_host_port(std::uint32_t port, int eventfd) {
    // Sends that still exit (EVTCHNOP_send, or before the ioeventfd exists) signal it too.
    PV_TRY(m_evtchn.set_host_handler(port, [eventfd] {
        const std::uint64_t one = 1;
        (void)!::write(eventfd, &one, sizeof one);
    }));
    return m_platform.add_notify_eventfd(port, eventfd);
}

Status Services::bind_backend_port(std::uint32_t port, int eventfd) {
    PV_TRY(m_evtchn.bind_unbound_to_host(port, {}));
    const Status s = connect_host_port(port, eventfd);
    if (!s.ok())
        (void)m_evtchn.unbind_to_unbound(port);
    return s;
}

Status Services::unbind_backend_port(std::uint32_t port, int eventfd) {
    // Port first: once unbound, no send reaches the handler that writes `eventfd`.
    PV_TRY(m_evtchn.unbind_to_unbound(port));
    return m_platform.remove_notify_eventfd(port, eventfd);
}

std::int32_t Services::hypercall(VcpuAccess& vcpu, const HypercallRegs& regs) {
    if (vcpu.cpl() != 0)
        return -XEN_EPERM;
    return dispatch(vcpu, regs, false);
}

std::int32_t Services::dispatch(VcpuAccess& vcpu, const HypercallRegs& regs, bool nested) {
    if (regs.nr >= PV_NR_HYPERCALLS || kTable[regs.nr] == nullptr)
        return -XEN_ENOSYS;
    if (nested && regs.nr == __HYPERVISOR_multicall)
        return -XEN_EINVAL;
    m_calls[regs.nr].fetch_add(1, std::memory_order_relaxed);
    const std::int32_t r = (this->*kTable[regs.nr])(vcpu, regs);
    if (r < 0)
        m_errors[regs.nr].fetch_add(1, std::memory_order_relaxed);
    return r;
}

std::int32_t Services::hc_xen_version(VcpuAccess& vcpu, const HypercallRegs& regs) {
    switch (regs.args[0]) {
    case XENVER_version: return static_cast<std::int32_t>(PV_INTERFACE_VERSION);
    case XENVER_extraversion: {
        char extra[XEN_EXTRAVERSION_LEN] = "-pvisor";
        return rc(copy_to_guest(vcpu, mem(), regs.args[1], extra, sizeof extra));
    }
    case XENVER_get_features: {
        auto fi = read_guest<xen_feature_info>(vcpu, mem(), regs.args[1]);
        if (!fi.ok())
            return rc(fi.error());
        if (fi->submap_idx != 0)
            return -XEN_EINVAL;
        fi->submap = (1U << XENFEAT_auto_translated_physmap) | (1U << XENFEAT_hvm_safe_pvclock);
        return rc(write_guest(vcpu, mem(), regs.args[1], *fi));
    }
    default: return -XEN_ENOSYS;
    }
}

// decrease_reservation / populate_physmap: the frame list is copied a page at a time; the
// batch stops at the first frame refused (Xen's partial count), counted by reason.
std::int32_t Services::reservation(VcpuAccess& vcpu, std::uint64_t arg, bool decrease) {
    auto res = read_guest<xen_memory_reservation>(vcpu, mem(), arg);
    if (!res.ok())
        return rc(res.error());
    if (res->domid != DOMID_SELF || res->extent_order != 0 || res->nr_extents > PV_XENMEM_MAX_EXTENTS)
        return -XEN_EINVAL;
    constexpr std::uint64_t kChunk = kPageSize / sizeof(std::uint64_t);
    std::array<std::uint64_t, kChunk> gfns{};
    std::uint64_t done = 0;
    while (done < res->nr_extents) {
        const std::uint64_t n = std::min(kChunk, res->nr_extents - done);
        const std::uint64_t at = res->extent_start + done * sizeof(std::uint64_t);
        if (!copy_from_guest(vcpu, mem(), at, gfns.data(), n * sizeof(std::uint64_t)).ok())
            return done > 0 ? static_cast<std::int32_t>(done) : -XEN_EFAULT;
        for (std::uint64_t i = 0; i < n; ++i, ++done) {
            const auto refusal = decrease ? give_back(gfns[i]) : take_back(gfns[i]);
            if (refusal) {
                m_balloon.refuse(*refusal);
                return static_cast<std::int32_t>(done);
            }
        }
    }
    return static_cast<std::int32_t>(done);
}

std::optional<BalloonRefusal> Services::give_back(std::uint64_t gfn) {
    if (!mem().is_ram_frame(gfn))
        return BalloonRefusal::not_ram;
    // pvisor keeps writing these pages (and backends map the grant frames) for the domain's life.
    if (m_grants.is_table_frame(gfn) || m_evtchn.shared_info_gpa() == (gfn << kPageShift))
        return BalloonRefusal::in_use;
    const Status s = m_balloon.decrease(gfn);
    if (s.ok())
        return std::nullopt;
    return s.error() == Errc::exists ? BalloonRefusal::already_out : BalloonRefusal::discard;
}

std::optional<BalloonRefusal> Services::take_back(std::uint64_t gfn) {
    if (!mem().is_ram_frame(gfn))
        return BalloonRefusal::not_ram;
    const Status s = m_balloon.populate(gfn);
    if (s.ok())
        return std::nullopt;
    return s.error() == Errc::not_found ? BalloonRefusal::not_out : BalloonRefusal::discard;
}

std::int32_t Services::add_to_physmap(VcpuAccess& vcpu, std::uint64_t arg) {
    auto xatp = read_guest<xen_add_to_physmap>(vcpu, mem(), arg);
    if (!xatp.ok())
        return rc(xatp.error());
    // A frame given back (decrease_reservation) is not the guest's to name until populated.
    if (xatp->domid != DOMID_SELF || !mem().is_ram_frame(xatp->gpfn) ||
        m_balloon.is_out(xatp->gpfn))
        return -XEN_EINVAL;
    // shared_info and the grant table frames each need a page of their own.
    const std::uint64_t gpa = xatp->gpfn << kPageShift;
    if (xatp->space == XENMAPSPACE_shared_info && xatp->idx == 0)
        return m_grants.is_table_frame(xatp->gpfn) ? -XEN_EINVAL
                                                   : rc(m_evtchn.set_shared_info(gpa));
    if (xatp->space == XENMAPSPACE_grant_table)
        return m_evtchn.shared_info_gpa() == gpa ? -XEN_EINVAL
                                                 : rc(m_grants.place_frame(xatp->idx, xatp->gpfn));
    return -XEN_EINVAL;
}

std::int32_t Services::hc_memory_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    if ((regs.args[0] & ~static_cast<std::uint64_t>(PV_XENMEM_CMD_MASK)) != 0)
        return -XEN_EINVAL; // pvisor never preempts: no continuation bits
    switch (regs.args[0]) {
    case XENMEM_decrease_reservation: return reservation(vcpu, regs.args[1], true);
    case XENMEM_populate_physmap: return reservation(vcpu, regs.args[1], false);
    case XENMEM_increase_reservation: return 0;
    case XENMEM_add_to_physmap: return add_to_physmap(vcpu, regs.args[1]);
    default: return -XEN_ENOSYS;
    }
}

std::int32_t Services::hc_multicall(VcpuAccess& vcpu, const HypercallRegs& regs) {
    const std::uint64_t list = regs.args[0];
    const std::uint64_t nr = regs.args[1];
    if (nr > PV_MULTICALL_MAX)
        return -XEN_E2BIG;
    for (std::uint64_t i = 0; i < nr; ++i) {
        const std::uint64_t at = list + i * sizeof(multicall_entry);
        auto e = read_guest<multicall_entry>(vcpu, mem(), at);
        if (!e.ok())
            return rc(e.error());
        HypercallRegs sub;
        sub.nr = e->op;
        std::memcpy(sub.args, e->args, sizeof sub.args);
        const std::int64_t r = dispatch(vcpu, sub, true);
        e->result = static_cast<std::uint64_t>(r);
        if (!write_guest(vcpu, mem(), at + offsetof(multicall_entry, result), e->result).ok())
            return -XEN_EFAULT;
    }
    return 0;
}

void Services::refresh_time(VcpuAccess& vcpu) {
    const auto si = m_evtchn.shared_info_gpa();
    auto tsc = vcpu.guest_tsc();
    const std::uint64_t khz = vcpu.tsc_khz();
    if (!si || !tsc.ok() || khz == 0 || vcpu.id() >= XEN_LEGACY_MAX_VCPUS)
        return;
    const std::uint64_t gpa = *si + vcpu.id() * sizeof(vcpu_info) + offsetof(vcpu_info, time);
    auto span = mem().translate(gpa, sizeof(vcpu_time_info));
    if (!span.ok())
        return;
    // SAFETY: 32-byte aligned record inside the shared_info page.
    auto* t = reinterpret_cast<vcpu_time_info*>(span->data());
    // ns = (tsc_delta * mul) >> 32 with mul = 10^6 * 2^32 / khz, shifted so mul fits 32 bits.
    std::int8_t shift = 0;
    std::uint64_t mul = (1'000'000ULL << 32) / khz;
    while (mul > 0xFFFFFFFFULL) {
        mul >>= 1;
        ++shift;
    }
    std::atomic_ref<std::uint32_t> version(t->version);
    version.fetch_add(1); // odd: update in progress
    t->tsc_timestamp = *tsc;
    t->system_time = m_clock.now_ns();
    t->tsc_to_system_mul = static_cast<std::uint32_t>(mul);
    t->tsc_shift = shift;
    t->flags = 0;
    version.fetch_add(1);
}

std::int32_t Services::hc_set_timer_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    refresh_time(vcpu);
    return rc(m_timers->set_singleshot(vcpu.id(), regs.args[0]));
}

std::int32_t Services::hc_vcpu_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    const std::uint64_t cmd = regs.args[0];
    const std::uint64_t target = regs.args[1];
    if (target >= m_config.vcpus)
        return -XEN_EINVAL;
    if (cmd == VCPUOP_is_up)
        return 1;
    if (target != vcpu.id())
        return -XEN_EINVAL; // timers and vcpu_info act on the caller only (as for Xen HVM)
    switch (cmd) {
    case VCPUOP_set_singleshot_timer: {
        auto a = read_guest<vcpu_set_singleshot_timer>(vcpu, mem(), regs.args[2]);
        if (!a.ok())
            return rc(a.error());
        refresh_time(vcpu);
        if ((a->flags & VCPU_SSHOTTMR_future) && a->timeout_abs_ns < m_clock.now_ns())
            return -XEN_ETIME;
        return rc(m_timers->set_singleshot(vcpu.id(), a->timeout_abs_ns == 0 ? 1 : a->timeout_abs_ns));
    }
    case VCPUOP_stop_singleshot_timer:
        refresh_time(vcpu);
        return rc(m_timers->set_singleshot(vcpu.id(), 0));
    case VCPUOP_set_periodic_timer: {
        auto a = read_guest<vcpu_set_periodic_timer>(vcpu, mem(), regs.args[2]);
        if (!a.ok())
            return rc(a.error());
        if (a->period_ns < 1'000'000)
            return -XEN_EINVAL;
        refresh_time(vcpu);
        return rc(m_timers->set_periodic(vcpu.id(), a->period_ns));
    }
    case VCPUOP_stop_periodic_timer:
        refresh_time(vcpu);
        return rc(m_timers->set_periodic(vcpu.id(), 0));
    default: return -XEN_ENOSYS;
    }
}

std::int32_t Services::block(VcpuAccess& vcpu, std::uint64_t deadline_ns,
                             const std::uint32_t* ports, std::uint32_t nr) {
    std::unique_lock lock(m_block_lock);
    // Counted before the first check (seq_cst): a port set pending after that check sees the
    // sleeper and wakes it (wake_blocked), so no event is lost between check and wait.
    m_blocked.fetch_add(1);
    auto ready = [&] {
        if (m_stopping.load() || m_paused.load() || m_evtchn.upcall_pending(vcpu.id()))
            return true;
        for (std::uint32_t i = 0; i < nr; ++i) {
            if (m_evtchn.port_pending(ports[i]))
                return true;
        }
        return deadline_ns != 0 && m_clock.now_ns() >= deadline_ns;
    };
    while (!ready()) {
        if (deadline_ns == 0) {
            m_block_cv.wait(lock);
            continue;
        }
        const std::uint64_t now = m_clock.now_ns();
        if (now < deadline_ns)
            m_block_cv.wait_for(lock, std::chrono::nanoseconds(deadline_ns - now));
    }
    m_blocked.fetch_sub(1);
    return 0;
}

std::int32_t Services::hc_sched_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    switch (regs.args[0]) {
    case SCHEDOP_yield: ::sched_yield(); return 0;
    case SCHEDOP_block: return block(vcpu, 0, nullptr, 0);
    case SCHEDOP_poll: {
        auto p = read_guest<sched_poll>(vcpu, mem(), regs.args[1]);
        if (!p.ok())
            return rc(p.error());
        if (p->nr_ports > PV_SCHED_POLL_MAX)
            return -XEN_EINVAL;
        std::array<std::uint32_t, PV_SCHED_POLL_MAX> ports{};
        if (!copy_from_guest(vcpu, mem(), p->ports, ports.data(), p->nr_ports * 4ULL).ok())
            return -XEN_EFAULT;
        return block(vcpu, p->timeout, ports.data(), p->nr_ports);
    }
    case SCHEDOP_shutdown: {
        auto s = read_guest<sched_shutdown>(vcpu, mem(), regs.args[1]);
        if (!s.ok())
            return rc(s.error());
        switch (s->reason) {
        case SHUTDOWN_poweroff: m_platform.request_shutdown(ShutdownReason::poweroff); return 0;
        case SHUTDOWN_reboot: m_platform.request_shutdown(ShutdownReason::reboot); return 0;
        case SHUTDOWN_crash: m_platform.request_shutdown(ShutdownReason::crash); return 0;
        case SHUTDOWN_watchdog: m_platform.request_shutdown(ShutdownReason::watchdog); return 0;
        case SHUTDOWN_suspend: return -XEN_EOPNOTSUPP;
        default: return -XEN_EINVAL;
        }
    }
    default: return -XEN_ENOSYS;
    }
}

std::int32_t Services::hc_console_io(VcpuAccess& vcpu, const HypercallRegs& regs) {
    const std::uint64_t count = regs.args[1] < PV_CONSOLEIO_MAX ? regs.args[1] : PV_CONSOLEIO_MAX;
    if (regs.args[0] == CONSOLEIO_write) {
        char buf[PV_CONSOLEIO_MAX];
        if (!copy_from_guest(vcpu, mem(), regs.args[2], buf, count).ok())
            return -XEN_EFAULT;
        m_console->write_direct(buf, count);
        return static_cast<std::int32_t>(count);
    }
    if (regs.args[0] == CONSOLEIO_read)
        return 0; // input arrives through the console ring
    return -XEN_ENOSYS;
}

std::int32_t Services::hc_event_channel_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    const std::uint64_t arg = regs.args[1];
    switch (regs.args[0]) {
    case EVTCHNOP_alloc_unbound: {
        auto a = read_guest<evtchn_alloc_unbound>(vcpu, mem(), arg);
        if (!a.ok())
            return rc(a.error());
        if (a->dom != DOMID_SELF)
            return -XEN_EPERM;
        auto port = m_evtchn.alloc_unbound(a->remote_dom);
        if (!port.ok())
            return rc(port.error());
        a->port = *port;
        return rc(write_guest(vcpu, mem(), arg, *a));
    }
    case EVTCHNOP_bind_interdomain: {
        auto a = read_guest<evtchn_bind_interdomain>(vcpu, mem(), arg);
        if (!a.ok())
            return rc(a.error());
        auto port = m_evtchn.bind_interdomain(a->remote_dom, a->remote_port);
        if (!port.ok())
            return rc(port.error());
        a->local_port = *port;
        return rc(write_guest(vcpu, mem(), arg, *a));
    }
    case EVTCHNOP_bind_virq: {
        auto a = read_guest<evtchn_bind_virq>(vcpu, mem(), arg);
        if (!a.ok())
            return rc(a.error());
        auto port = m_evtchn.bind_virq(a->virq, a->vcpu);
        if (!port.ok())
            return rc(port.error());
        a->port = *port;
        return rc(write_guest(vcpu, mem(), arg, *a));
    }
    case EVTCHNOP_bind_ipi: {
        auto a = read_guest<evtchn_bind_ipi>(vcpu, mem(), arg);
        if (!a.ok())
            return rc(a.error());
        auto port = m_evtchn.bind_ipi(a->vcpu);
        if (!port.ok())
            return rc(port.error());
        a->port = *port;
        return rc(write_guest(vcpu, mem(), arg, *a));
    }
    case EVTCHNOP_bind_vcpu: {
        auto a = read_guest<evtchn_bind_vcpu>(vcpu, mem(), arg);
        return a.ok() ? rc(m_evtchn.bind_vcpu(a->port, a->vcpu)) : rc(a.error());
    }
    case EVTCHNOP_close: {
        auto a = read_guest<evtchn_close>(vcpu, mem(), arg);
        return a.ok() ? rc(m_evtchn.close(a->port)) : rc(a.error());
    }
    case EVTCHNOP_send: {
        auto a = read_guest<evtchn_send>(vcpu, mem(), arg);
        return a.ok() ? rc(m_evtchn.send(a->port)) : rc(a.error());
    }
    case EVTCHNOP_unmask: {
        auto a = read_guest<evtchn_unmask>(vcpu, mem(), arg);
        return a.ok() ? rc(m_evtchn.unmask(a->port)) : rc(a.error());
    }
    case EVTCHNOP_status: {
        auto a = read_guest<evtchn_status>(vcpu, mem(), arg);
        if (!a.ok())
            return rc(a.error());
        if (a->dom != DOMID_SELF)
            return -XEN_EPERM;
        auto st = m_evtchn.status(a->port);
        return st.ok() ? rc(write_guest(vcpu, mem(), arg, *st)) : rc(st.error());
    }
    default: return -XEN_ENOSYS;
    }
}

std::int32_t Services::hc_grant_table_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    return rc(m_grants.op(vcpu, regs.args[0], regs.args[1], regs.args[2]));
}

std::int32_t Services::hc_hvm_op(VcpuAccess& vcpu, const HypercallRegs& regs) {
    if (regs.args[0] != HVMOP_get_param && regs.args[0] != HVMOP_set_param)
        return -XEN_ENOSYS;
    auto p = read_guest<xen_hvm_param>(vcpu, mem(), regs.args[1]);
    if (!p.ok())
        return rc(p.error());
    if (p->domid != DOMID_SELF || p->index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    if (regs.args[0] == HVMOP_set_param)
        return p->index == HVM_PARAM_CALLBACK_IRQ ? 0 : -XEN_EPERM;
    switch (p->index) {
    case HVM_PARAM_STORE_PFN:
        p->value = (PV_SPECIAL_PAGES_GPA >> kPageShift) + PV_SPECIAL_PAGE_STORE;
        break;
    case HVM_PARAM_STORE_EVTCHN: p->value = m_store_port; break;
    case HVM_PARAM_CONSOLE_PFN:
        p->value = (PV_SPECIAL_PAGES_GPA >> kPageShift) + PV_SPECIAL_PAGE_CONSOLE;
        break;
    case HVM_PARAM_CONSOLE_EVTCHN: p->value = m_console_port; break;
    default: p->value = 0; break;
    }
    return rc(write_guest(vcpu, mem(), regs.args[1], *p));
}

} // namespace

Result<std::unique_ptr<PvServices>> PvServices::create(Platform& platform, const PvConfig& config) {
    if (config.vcpus == 0 || config.vcpus > PV_MAX_VCPUS)
        return Errc::invalid_argument;
    auto s = std::make_unique<Services>(platform, config);
    PV_TRY(s->init());
    return std::unique_ptr<PvServices>(std::move(s));
}

} // namespace pvisor
