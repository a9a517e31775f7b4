// timers.hpp: per-vCPU single-shot and periodic timers on timerfds, in pvisor system time.
#pragma once

#include "event_channels.hpp"
#include "event_loop.hpp"

#include <cstdint>
#include <mutex>
#include <vector>

namespace pvisor {

// pvisor system time: ns since the domain was created (CLOCK_MONOTONIC).
class SystemClock {
  public:
    SystemClock();
    [[nodiscard]] std::uint64_t now_ns() const;

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
    [[nodiscard]] std::uint64_t held() const noexcept { return m_held.load(); }

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
    std::mutex m_pause_lock;              // guards m_paused and m_pending
    bool m_paused = false;
    std::vector<bool> m_pending; // per vCPU: expired while paused
};

} // namespace pvisor
