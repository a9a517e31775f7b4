// timers.cpp: timerfd-backed vCPU timers raising VIRQ_TIMER.
#include "timers.hpp"

#include <sys/timerfd.h>

#include <ctime>

namespace pvisor {

namespace {
std::uint64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}
constexpr std::uint64_t kFarFuture = 1ULL << 50;
constexpr std::uint64_t kDefaultDelay = 100'000'000; // Xen: bad timeouts become now + 100 ms
} // namespace

SystemClock::SystemClock() : m_origin_ns(monotonic_ns()) {}
std::uint64_t SystemClock::now_ns() const { return monotonic_ns() - m_origin_ns; }
void SystemClock::resume_at(std::uint64_t now_ns) { m_origin_ns = monotonic_ns() - now_ns; }

Result<std::unique_ptr<VcpuTimers>> VcpuTimers::create(unsigned vcpus, EventChannels& evtchn,
                                                       EventLoop& loop, const SystemClock& clock) {
    std::unique_ptr<VcpuTimers> t(new VcpuTimers(evtchn, clock));
    t->m_pending.assign(vcpus, false);
    t->m_period.assign(vcpus, 0);
    for (unsigned v = 0; v < vcpus; ++v) {
        for (auto* list : {&t->m_oneshot, &t->m_periodic}) {
            UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
            if (!fd.valid())
                return Errc::system_error;
            const int raw = fd.get();
            VcpuTimers* self = t.get();
            PV_TRY(loop.watch(raw, [self, raw, v] {
                std::uint64_t n = 0;
                if (::read(raw, &n, sizeof n) == static_cast<ssize_t>(sizeof n) && n > 0)
                    self->expired(v);
            }));
            list->push_back(std::move(fd));
        }
    }
    return t;
}

void VcpuTimers::expired(unsigned vcpu) {
    {
        std::lock_guard lock(m_pause_lock);
        if (m_paused) {
            m_pending[vcpu] = true;
            m_held.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    m_fires.fetch_add(1, std::memory_order_relaxed);
    m_evtchn.raise_virq(VIRQ_TIMER, vcpu);
}

void VcpuTimers::set_paused(bool paused) {
    {
        std::lock_guard lock(m_pause_lock);
        m_paused = paused;
        if (paused)
            return;
    }
    deliver_held();
}

void VcpuTimers::deliver_held() {
    std::vector<bool> due;
    {
        std::lock_guard lock(m_pause_lock);
        if (m_paused)
            return;
        due.swap(m_pending);
        m_pending.assign(due.size(), false);
    }
    for (unsigned v = 0; v < due.size(); ++v) {
        if (due[v]) {
            m_fires.fetch_add(1, std::memory_order_relaxed);
            m_evtchn.raise_virq(VIRQ_TIMER, v);
        }
    }
}

Status VcpuTimers::arm(int fd, std::uint64_t rel_ns, std::uint64_t interval_ns) {
    itimerspec its{};
    // A zero it_value disarms; an expired deadline fires at once (1 ns).
    its.it_value.tv_sec = static_cast<time_t>(rel_ns / 1'000'000'000ULL);
    its.it_value.tv_nsec = static_cast<long>(rel_ns % 1'000'000'000ULL);
    its.it_interval.tv_sec = static_cast<time_t>(interval_ns / 1'000'000'000ULL);
    its.it_interval.tv_nsec = static_cast<long>(interval_ns % 1'000'000'000ULL);
    if (::timerfd_settime(fd, 0, &its, nullptr) != 0)
        return Errc::system_error;
    return {};
}

Status VcpuTimers::set_singleshot(unsigned vcpu, std::uint64_t abs_ns) {
    if (vcpu >= m_oneshot.size())
        return Errc::invalid_argument;
    if (abs_ns == 0)
        return arm(m_oneshot[vcpu].get(), 0, 0);
    const std::uint64_t now = m_clock.now_ns();
    std::uint64_t rel = abs_ns > now ? abs_ns - now : 1;
    if (static_cast<std::int64_t>(abs_ns) < 0 || rel > kFarFuture)
        rel = kDefaultDelay;
    return arm(m_oneshot[vcpu].get(), rel, 0);
}

Status VcpuTimers::set_periodic(unsigned vcpu, std::uint64_t period_ns) {
    if (vcpu >= m_periodic.size())
        return Errc::invalid_argument;
    PV_TRY(arm(m_periodic[vcpu].get(), period_ns, period_ns));
    std::lock_guard lock(m_pause_lock);
    m_period[vcpu] = period_ns;
    return {};
}

namespace {
// Time left on a timerfd (0: disarmed).
std::uint64_t remaining_ns(int fd) {
    itimerspec its{};
    if (::timerfd_gettime(fd, &its) != 0)
        return 0;
    return static_cast<std::uint64_t>(its.it_value.tv_sec) * 1'000'000'000ULL +
           static_cast<std::uint64_t>(its.it_value.tv_nsec);
}
} // namespace

std::vector<SavedTimer> VcpuTimers::save() const {
    const std::uint64_t now = m_clock.now_ns();
    std::lock_guard lock(m_pause_lock);
    std::vector<SavedTimer> out(m_oneshot.size());
    for (std::size_t v = 0; v < out.size(); ++v) {
        const std::uint64_t left = remaining_ns(m_oneshot[v].get());
        out[v].oneshot_deadline_ns = left != 0 ? now + left : 0;
        out[v].period_ns = m_period[v];
        const std::uint64_t next = remaining_ns(m_periodic[v].get());
        out[v].periodic_next_ns = m_period[v] != 0 && next != 0 ? now + next : 0;
        out[v].held = m_pending[v] ? 1 : 0;
    }
    return out;
}

Status VcpuTimers::restore(const std::vector<SavedTimer>& timers) {
    if (timers.size() != m_oneshot.size())
        return Errc::invalid_argument;
    const std::uint64_t now = m_clock.now_ns();
    for (std::size_t v = 0; v < timers.size(); ++v) {
        const SavedTimer& t = timers[v];
        const auto vcpu = static_cast<unsigned>(v);
        if (t.period_ns != 0 && t.period_ns < 1'000'000)
            return Errc::invalid_argument; // VCPUOP_set_periodic_timer's own floor
        PV_TRY(set_singleshot(vcpu, t.oneshot_deadline_ns));
        const std::uint64_t next = t.periodic_next_ns > now ? t.periodic_next_ns - now : 1;
        PV_TRY(arm(m_periodic[v].get(), t.period_ns != 0 ? next : 0, t.period_ns));
        std::lock_guard lock(m_pause_lock);
        m_period[v] = t.period_ns;
        // Every vCPU gets one VIRQ_TIMER at the first unpause, held or not: an expiry read
        // off its timerfd but not yet delivered when the domain was saved is then not lost
        // (Linux takes a spurious timer event as a cue to reprogram, never as a hang).
        m_pending[v] = true;
    }
    return {};
}

} // namespace pvisor
