/* pv/xen.h: hypercall numbers, domain ids and error codes (Xen's public xen.h values). */
#ifndef PV_XEN_H
#define PV_XEN_H

#include "abi_types.h"

/*
 * Hypercall numbers. pvisor serves the calls an HVM guest may make under Xen, with Xen's
 * numbers, so a reader who knows Xen reads the table directly. mmu_update and
 * update_va_mapping are PV-only in Xen (guest-managed page tables) and answer -ENOSYS here,
 * as do all numbers not listed. The transport (how a call reaches pvisor) is pvisor's own:
 * see pv/pvisor.h.
 */
#define __HYPERVISOR_mmu_update 1
#define __HYPERVISOR_memory_op 12
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_update_va_mapping 14
#define __HYPERVISOR_set_timer_op 15
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_grant_table_op 20
#define __HYPERVISOR_vm_assist 21
#define __HYPERVISOR_vcpu_op 24
#define __HYPERVISOR_mmuext_op 26
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_physdev_op 33
#define __HYPERVISOR_hvm_op 34
#define __HYPERVISOR_sysctl 35
#define __HYPERVISOR_domctl 36
#define __HYPERVISOR_dm_op 41
/* Size of the dispatch table: every number below this has a slot (unused ones: -ENOSYS). */
#define PV_NR_HYPERCALLS 64

/* Domain ids. The guest is domain 1 (PV_DOMID_GUEST); the host side (pvisor's own services
 * and every backend process) acts as domain 0, the control domain. */
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF 0x7FF0U
#define DOMID_INVALID 0x7FF4U
#define PV_DOMID_HOST 0U
#define PV_DOMID_GUEST 1U

/*
 * Error codes, as Xen's public errno.h defines them (identical to Linux x86 values).
 * Hypercalls return them negated.
 */
#define XEN_EPERM 1
#define XEN_ENOENT 2
#define XEN_ESRCH 3
#define XEN_EINTR 4
#define XEN_EIO 5
#define XEN_ENXIO 6
#define XEN_E2BIG 7
#define XEN_EBADF 9
#define XEN_EAGAIN 11
#define XEN_ENOMEM 12
#define XEN_EACCES 13
#define XEN_EFAULT 14
#define XEN_EBUSY 16
#define XEN_EEXIST 17
#define XEN_EXDEV 18
#define XEN_ENODEV 19
#define XEN_EINVAL 22
#define XEN_ENOSPC 28
#define XEN_ERANGE 34
#define XEN_ENOSYS 38
#define XEN_ETIME 62
#define XEN_EOPNOTSUPP 95
#define XEN_ETIMEDOUT 110

/*
 * multicall (13): multicall(entries, nr). Each entry is executed in order inside one exit;
 * its result field receives the call's return value. The call itself returns 0, or -EFAULT
 * if the entry array does not translate; at most PV_MULTICALL_MAX entries per call (-E2BIG).
 * A nested multicall entry fails with -EINVAL.
 */
struct multicall_entry {
    pv_u64 op;
    pv_u64 result;
    pv_u64 args[6];
};
PV_ASSERT_SIZE(struct multicall_entry, 64);
PV_ASSERT_OFFSET(struct multicall_entry, result, 8);
PV_ASSERT_OFFSET(struct multicall_entry, args, 16);
#define PV_MULTICALL_MAX 64

/*
 * console_io (18): console_io(cmd, count, buffer). CONSOLEIO_write writes count bytes
 * (at most PV_CONSOLEIO_MAX are taken per call; the call returns how many were taken);
 * CONSOLEIO_read reads up to count bytes of pending input and returns how many.
 */
#define CONSOLEIO_write 0
#define CONSOLEIO_read 1
#define PV_CONSOLEIO_MAX 4096

/* vm_assist (21) is accepted for VMASST_TYPE_runstate_update_flag only; others -EINVAL. */

#endif /* PV_XEN_H */
