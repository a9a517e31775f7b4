/* pv/vcpu.h: vcpu_op (hypercall 24) sub-operations. */
#ifndef PV_VCPU_H
#define PV_VCPU_H

#include "abi_types.h"

/*
 * vcpu_op(cmd, vcpu, arg). vcpu must be < the domain's vCPU count (-EINVAL); the timer and
 * vcpu_info calls act only on the calling vCPU (-EINVAL otherwise, as in Xen for HVM).
 */
#define VCPUOP_initialise 0 /* -ENOSYS: secondary vCPUs start through the INIT/SIPI path */
#define VCPUOP_up 1         /* -ENOSYS, as above */
#define VCPUOP_down 2       /* -ENOSYS */
#define VCPUOP_is_up 3      /* returns 1 if the vCPU has started running */
#define VCPUOP_get_runstate_info 4 /* -ENOSYS */
#define VCPUOP_set_periodic_timer 6
#define VCPUOP_stop_periodic_timer 7
#define VCPUOP_set_singleshot_timer 8
#define VCPUOP_stop_singleshot_timer 9
#define VCPUOP_register_vcpu_info 10

/* Periodic timer: period at least 1 ms (-EINVAL below). */
struct vcpu_set_periodic_timer {
    pv_u64 period_ns;
};
PV_ASSERT_SIZE(struct vcpu_set_periodic_timer, 8);

/* Single-shot timer at absolute system time. With VCPU_SSHOTTMR_future set, a time
 * already passed fails with -ETIME instead of firing at once. */
struct vcpu_set_singleshot_timer {
    pv_u64 timeout_abs_ns;
    pv_u32 flags;
    pv_u32 pad;
};
PV_ASSERT_SIZE(struct vcpu_set_singleshot_timer, 16);
#define VCPU_SSHOTTMR_future 1U

/* Place this vCPU's vcpu_info at guest frame mfn + offset (must not cross a page:
 * -EINVAL); once per vCPU (a second call is -EINVAL, as in Xen). */
struct vcpu_register_vcpu_info {
    pv_u64 mfn;
    pv_u32 offset;
    pv_u32 rsvd;
};
PV_ASSERT_SIZE(struct vcpu_register_vcpu_info, 16);

#endif /* PV_VCPU_H */
