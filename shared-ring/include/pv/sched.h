/* pv/sched.h: sched_op (hypercall 29) and set_timer_op (hypercall 15). */
#ifndef PV_SCHED_H
#define PV_SCHED_H

#include "abi_types.h"

/*
 * sched_op(cmd, arg):
 *  SCHEDOP_yield     give up the physical CPU (sched_yield on the vCPU thread); returns 0.
 *  SCHEDOP_block     sleep until an event is pending for this vCPU (its upcall_pending is
 *                    set) or its timer fires; returns 0 at once if one already is.
 *  SCHEDOP_shutdown  end the domain: pvisor exits with the status docs/abi.md lists per
 *                    reason. An unknown reason is -EINVAL.
 *  SCHEDOP_poll      sleep until one of nr_ports ports (at most PV_SCHED_POLL_MAX, else
 *                    -EINVAL) is pending, or until timeout (absolute system time ns, 0 = none).
 *                    Returns 0 on an event or a timeout.
 */
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SCHEDOP_poll 3
#define SCHEDOP_shutdown_code 5

#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot 1
#define SHUTDOWN_suspend 2 /* not supported: -EOPNOTSUPP */
#define SHUTDOWN_crash 3
#define SHUTDOWN_watchdog 4

struct sched_shutdown {
    pv_u32 reason; /* SHUTDOWN_* */
};
PV_ASSERT_SIZE(struct sched_shutdown, 4);

struct sched_poll {
    pv_guest_handle ports; /* array of pv_evtchn_port */
    pv_u32 nr_ports;
    pv_u32 pad;
    pv_u64 timeout;
};
PV_ASSERT_SIZE(struct sched_poll, 24);
PV_ASSERT_OFFSET(struct sched_poll, nr_ports, 8);
PV_ASSERT_OFFSET(struct sched_poll, timeout, 16);
#define PV_SCHED_POLL_MAX 128

/*
 * set_timer_op(timeout): arm this vCPU's single-shot timer for absolute system time
 * `timeout` (ns, see vcpu_time_info); 0 cancels it. When it fires pvisor raises the vCPU's
 * VIRQ_TIMER port. A time already passed fires at once; a negative value, or one more than
 * 2^50 ns ahead, is taken as now + 100 ms (Xen's rule).
 */

#endif /* PV_SCHED_H */
