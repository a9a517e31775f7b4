/* pv/shared_info.h: the shared_info page and per-vCPU vcpu_info (Xen 2-level layout). */
#ifndef PV_SHARED_INFO_H
#define PV_SHARED_INFO_H

#include "abi_types.h"

/*
 * pvclock-style time record. An odd version means pvisor is updating it: the reader
 * re-reads until it sees the same even version before and after (with rmb between).
 * System time in ns = system_time + ((((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32)
 * (a negative tsc_shift shifts right). pvisor system time is nanoseconds since the domain
 * was created; it is the time base of set_timer_op and VCPUOP_set_singleshot_timer.
 * pvisor refreshes the record on every timer hypercall of that vCPU.
 */
struct vcpu_time_info {
    pv_u32 version;
    pv_u32 pad0;
    pv_u64 tsc_timestamp;
    pv_u64 system_time;
    pv_u32 tsc_to_system_mul;
    pv_s8 tsc_shift;
    pv_u8 flags;
    pv_u8 pad1[2];
};
PV_ASSERT_SIZE(struct vcpu_time_info, 32);
PV_ASSERT_OFFSET(struct vcpu_time_info, tsc_timestamp, 8);
PV_ASSERT_OFFSET(struct vcpu_time_info, system_time, 16);
PV_ASSERT_OFFSET(struct vcpu_time_info, tsc_to_system_mul, 24);
PV_ASSERT_OFFSET(struct vcpu_time_info, tsc_shift, 28);

struct arch_vcpu_info {
    pv_u64 cr2;
    pv_u64 pad;
};
PV_ASSERT_SIZE(struct arch_vcpu_info, 16);

/*
 * Per-vCPU event state. pvisor sets a port pending like Xen's event_2l.c:
 *   1. test_and_set evtchn_pending[port/64] bit; stop if it was already set;
 *   2. if the port is not masked and test_and_set of evtchn_pending_sel bit (port/64)
 *      returns 0: set evtchn_upcall_pending = 1 and raise the vCPU's upcall interrupt.
 * The guest's upcall handler clears evtchn_upcall_pending FIRST, then xchg's
 * evtchn_pending_sel to 0, then scans pending & ~mask, clearing each pending bit before
 * handling the port. All bitmap updates on both sides are locked atomic operations.
 * evtchn_upcall_mask is PV-only in Xen and ignored by pvisor.
 */
struct vcpu_info {
    pv_u8 evtchn_upcall_pending;
    pv_u8 evtchn_upcall_mask;
    pv_u8 pad0[6];
    pv_u64 evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};
PV_ASSERT_SIZE(struct vcpu_info, 64);
PV_ASSERT_OFFSET(struct vcpu_info, evtchn_pending_sel, 8);
PV_ASSERT_OFFSET(struct vcpu_info, arch, 16);
PV_ASSERT_OFFSET(struct vcpu_info, time, 32);

#define XEN_LEGACY_MAX_VCPUS 32
/* 2-level event channels: 64 words of 64 bits = 4096 ports. Port 0 is never valid. */
#define PV_EVTCHN_2L_NR_PORTS 4096U
#define PV_EVTCHN_WORD_BITS 64U

/*
 * The shared_info page. The guest chooses its location with
 * XENMEM_add_to_physmap(XENMAPSPACE_shared_info, idx 0, gpfn); pvisor zeroes that guest
 * page and uses it from then on (vCPUs >= 32 register a vcpu_info elsewhere with
 * VCPUOP_register_vcpu_info). wc_* is the wall-clock time at system time 0.
 */
struct arch_shared_info {
    pv_u64 max_pfn;
    pv_u64 pfn_to_mfn_frame_list_list;
    pv_u64 nmi_reason;
    pv_u64 p2m_cr3;
    pv_u64 p2m_vaddr;
    pv_u64 p2m_generation;
};
PV_ASSERT_SIZE(struct arch_shared_info, 48);

struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    pv_u64 evtchn_pending[PV_EVTCHN_WORD_BITS];
    pv_u64 evtchn_mask[PV_EVTCHN_WORD_BITS];
    pv_u32 wc_version;
    pv_u32 wc_sec;
    pv_u32 wc_nsec;
    pv_u32 wc_sec_hi;
    struct arch_shared_info arch;
};
PV_ASSERT_SIZE(struct shared_info, 3136);
PV_ASSERT_OFFSET(struct shared_info, evtchn_pending, 2048);
PV_ASSERT_OFFSET(struct shared_info, evtchn_mask, 2560);
PV_ASSERT_OFFSET(struct shared_info, wc_version, 3072);
PV_ASSERT_OFFSET(struct shared_info, arch, 3088);

#endif /* PV_SHARED_INFO_H */
