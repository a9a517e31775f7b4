/* pv/event_channel.h: event_channel_op (hypercall 32) sub-operations and argument structures. */
#ifndef PV_EVENT_CHANNEL_H
#define PV_EVENT_CHANNEL_H

#include "abi_types.h"

/*
 * event_channel_op(cmd, arg). Ports are 1..PV_EVTCHN_2L_NR_PORTS-1 (2-level ABI).
 * Common errors: -EFAULT (arg does not translate), -EINVAL (bad port, bad vCPU, wrong
 * state for the operation), -ENOSPC (no free port), -ESRCH (unknown domain), -EPERM
 * (domain not allowed), -EEXIST (VIRQ or IPI already bound where it must be unique).
 */
#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_bind_pirq 2 /* not supported: -ENOSYS */
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_status 5
#define EVTCHNOP_alloc_unbound 6
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_bind_vcpu 8
#define EVTCHNOP_unmask 9
#define EVTCHNOP_reset 10 /* not supported: -ENOSYS */

/* Offer a port that remote_dom may bind with bind_interdomain. dom must be DOMID_SELF. */
struct evtchn_alloc_unbound {
    pv_domid dom;        /* IN */
    pv_domid remote_dom; /* IN */
    pv_evtchn_port port; /* OUT */
};
PV_ASSERT_SIZE(struct evtchn_alloc_unbound, 8);
PV_ASSERT_OFFSET(struct evtchn_alloc_unbound, port, 4);

/* Connect to a port remote_dom offered to us. The new local port is left pending. */
struct evtchn_bind_interdomain {
    pv_domid remote_dom;       /* IN */
    pv_u16 pad;
    pv_evtchn_port remote_port; /* IN */
    pv_evtchn_port local_port;  /* OUT */
};
PV_ASSERT_SIZE(struct evtchn_bind_interdomain, 12);
PV_ASSERT_OFFSET(struct evtchn_bind_interdomain, remote_port, 4);
PV_ASSERT_OFFSET(struct evtchn_bind_interdomain, local_port, 8);

/* Bind a virtual IRQ. Per-vCPU VIRQs (TIMER) bind once per vCPU; global ones on vCPU 0. */
struct evtchn_bind_virq {
    pv_u32 virq;         /* IN */
    pv_u32 vcpu;         /* IN */
    pv_evtchn_port port; /* OUT */
};
PV_ASSERT_SIZE(struct evtchn_bind_virq, 12);

#define VIRQ_TIMER 0   /* per-vCPU: the single-shot / periodic timer fired */
#define VIRQ_DEBUG 1   /* per-vCPU: debug request */
#define VIRQ_CONSOLE 2 /* global: console input (dom0 only in Xen) */
#define VIRQ_DOM_EXC 3 /* global */
#define NR_VIRQS 24

/* An IPI channel delivered to vcpu; any vCPU of the domain may send on it. */
struct evtchn_bind_ipi {
    pv_u32 vcpu;         /* IN */
    pv_evtchn_port port; /* OUT */
};
PV_ASSERT_SIZE(struct evtchn_bind_ipi, 8);

struct evtchn_close {
    pv_evtchn_port port; /* IN */
};
PV_ASSERT_SIZE(struct evtchn_close, 4);

struct evtchn_send {
    pv_evtchn_port port; /* IN */
};
PV_ASSERT_SIZE(struct evtchn_send, 4);

#define EVTCHNSTAT_closed 0
#define EVTCHNSTAT_unbound 1
#define EVTCHNSTAT_interdomain 2
#define EVTCHNSTAT_pirq 3
#define EVTCHNSTAT_virq 4
#define EVTCHNSTAT_ipi 5

struct evtchn_status {
    pv_domid dom;        /* IN: DOMID_SELF */
    pv_u16 pad0;
    pv_evtchn_port port; /* IN */
    pv_u32 status;       /* OUT: EVTCHNSTAT_* */
    pv_u32 vcpu;         /* OUT: vCPU the port notifies */
    union {
        struct {
            pv_domid dom;
        } unbound;
        struct {
            pv_domid dom;
            pv_u16 pad;
            pv_evtchn_port port;
        } interdomain;
        pv_u32 pirq;
        pv_u32 virq;
    } u;
};
PV_ASSERT_SIZE(struct evtchn_status, 24);
PV_ASSERT_OFFSET(struct evtchn_status, port, 4);
PV_ASSERT_OFFSET(struct evtchn_status, status, 8);
PV_ASSERT_OFFSET(struct evtchn_status, vcpu, 12);
PV_ASSERT_OFFSET(struct evtchn_status, u, 16);

/* Route a port's notifications to another vCPU (not allowed for per-vCPU VIRQs / IPIs). */
struct evtchn_bind_vcpu {
    pv_evtchn_port port; /* IN */
    pv_u32 vcpu;         /* IN */
};
PV_ASSERT_SIZE(struct evtchn_bind_vcpu, 8);

/* Clear the mask bit; if the port is pending, re-raise the upcall (Xen's unmask). */
struct evtchn_unmask {
    pv_evtchn_port port; /* IN */
};
PV_ASSERT_SIZE(struct evtchn_unmask, 4);

#endif /* PV_EVENT_CHANNEL_H */
