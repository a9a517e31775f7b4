// timers.hpp: per-vCPU single-shot and periodic timers on timerfds, in pvisor system time.
#pragma once

#include "event_channels.hpp"
#include "event_loop.hpp"
#include "pv_state.hpp"

#include <cstdint>
#include <mutex>
#include <vector>

namespace pvisor {

// pvisor system time: ns since the domain was created (CLOCK_MONOTONIC).
class SystemClock {
  public:
    SystemClock();
    [[nodiscard]] std::uint64_t now_ns() const;
    // A restored domain's clock goes on from the time it was saved at (restore, before the
    // services start).
    void resume_at(std::uint64_t now_ns);

  private:
    std::uint64_t m_origin_ns;
};

class VcpuTimers {
  public:
    static Result<std::unique_ptr<VcpuTimers>> create(unsigned vcpus, EventChannels& evtchn,
                                                      EventLoop& loop, const SystemClock& clock);
    // Arms vcpu's single-shot timer at absolute system time; 0 cancels (set_timer_op rules).
    [[nodiscard]] Status set_singleshot(unsigned vcpu, std::uint64_t abs_ns);
    [[nodiscard]] Status set_periodic(unsigned vcpu, std::uint64_t period_ns);
    [[nodiscard]] std::uint64_t fires() const noexcept { return m_fires.load(); }
    // While paused, a timer that expires raises nothing; unpausing raises VIRQ_TIMER once
    // for each vCPU whose timer expired meanwhile (as Xen delivers an overdue timer). Any
    // thread.
    void set_paused(bool paused);
    // Delivers the held expiries now unless paused (what unpausing does). Any thread.
    void deliver_held();
    [[nodiscard]] std::uint64_t held() const noexcept { return m_held.load(); }
    // Save/restore: each vCPU's armed timers as absolute system times, and the expiries
    // held while paused. restore() re-arms them against the (resumed) clock: a deadline
    // already past fires at once, a held expiry is delivered at the next unpause (or at once
    // if not paused). Errc::invalid_argument if the vCPU count differs.
    [[nodiscard]] std::vector<SavedTimer> save() const;
    [[nodiscard]] Status restore(const std::vector<SavedTimer>& timers);

  private:
    VcpuTimers(EventChannels& e, const SystemClock& c) : m_evtchn(e), m_clock(c) {}
    [[nodiscard]] Status arm(int fd, std::uint64_t rel_ns, std::uint64_t interval_ns);
    void expired(unsigned vcpu);

    EventChannels& m_evtchn;
    const SystemClock& m_clock;
    std::vector<UniqueFd> m_oneshot;
    std::vector<UniqueFd> m_periodic;
    std::atomic<std::uint64_t> m_fires{0};
    std::atomic<std::uint64_t> m_held{0}; // expiries seen while paused
    mutable std::mutex m_pause_lock;      // guards m_paused, m_pending and m_period
    bool m_paused = false;
    std::vector<bool> m_pending; // per vCPU: expired while paused
    std::vector<std::uint64_t> m_period; // per vCPU: the periodic timer's period (0: off)
};

} // namespace pvisor
