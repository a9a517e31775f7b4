/* pv/memory.h: memory_op (hypercall 12): physmap and reservation (balloon) calls. */
#ifndef PV_MEMORY_H
#define PV_MEMORY_H

#include "abi_types.h"

/* memory_op(cmd, arg): bits 5:0 of cmd are the sub-op; bits above are Xen's continuation
 * start extent (pvisor never preempts, so they must be 0: -EINVAL otherwise). */
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_maximum_ram_page 2
#define XENMEM_current_reservation 3
#define XENMEM_maximum_reservation 4
#define XENMEM_populate_physmap 6
#define XENMEM_add_to_physmap 7
#define XENMEM_memory_map 9
#define XENMEM_remove_from_physmap 15
#define PV_XENMEM_CMD_MASK 0x3FU

/*
 * decrease_reservation: each listed guest frame (extent_order 0 only: -EINVAL otherwise) is
 * given back: pvisor punches it out of the guest-memory memfd (fallocate PUNCH_HOLE), so
 * the host really frees it; the guest must not touch it until populate_physmap brings it
 * back. populate_physmap takes back frames given back before, each as a fresh zero page:
 * the frames present never exceed the RAM the domain started with. Both return the number
 * of extents processed; the batch stops at the first frame refused: outside guest RAM, in
 * pvisor's use (shared_info, a grant table frame: decrease only), already given back
 * (decrease), or not given back (populate). mem_flags is ignored. A frame given back cannot
 * be named by add_to_physmap (-EINVAL) until populated.
 * increase_reservation answers 0 extents: it would hand out frames an auto-translated
 * guest cannot name (Linux's balloon uses populate_physmap).
 * nr_extents is bounded by PV_XENMEM_MAX_EXTENTS per call (-EINVAL beyond); a header or a
 * first list page that does not translate is -EFAULT, a later one ends the batch there.
 */
struct xen_memory_reservation {
    pv_guest_handle extent_start; /* array of pv_u64 guest frame numbers */
    pv_u64 nr_extents;
    pv_u32 extent_order;
    pv_u32 mem_flags;
    pv_domid domid; /* DOMID_SELF */
    pv_u16 pad[3];
};
PV_ASSERT_SIZE(struct xen_memory_reservation, 32);
PV_ASSERT_OFFSET(struct xen_memory_reservation, nr_extents, 8);
PV_ASSERT_OFFSET(struct xen_memory_reservation, extent_order, 16);
PV_ASSERT_OFFSET(struct xen_memory_reservation, domid, 24);
#define PV_XENMEM_MAX_EXTENTS 1048576U

/*
 * add_to_physmap: make a hypervisor page visible at guest frame gpfn.
 *  XENMAPSPACE_shared_info (idx 0): the shared_info page.
 *  XENMAPSPACE_grant_table (idx = frame number, < max grant frames): a grant table frame.
 * pvisor uses the guest's own page at gpfn as the storage of that object (it is zeroed),
 * which gives the same view as Xen's remapping. gpfn must be guest RAM (-EINVAL).
 */
#define XENMAPSPACE_shared_info 0
#define XENMAPSPACE_grant_table 1
#define XENMAPSPACE_gmfn 2
#define XENMAPSPACE_gmfn_range 3
#define XENMAPSPACE_gmfn_foreign 4

struct xen_add_to_physmap {
    pv_domid domid; /* DOMID_SELF */
    pv_u16 size;    /* gmfn_range only */
    pv_u32 space;   /* XENMAPSPACE_* */
    pv_u64 idx;
    pv_u64 gpfn;
};
PV_ASSERT_SIZE(struct xen_add_to_physmap, 24);
PV_ASSERT_OFFSET(struct xen_add_to_physmap, space, 4);
PV_ASSERT_OFFSET(struct xen_add_to_physmap, idx, 8);
PV_ASSERT_OFFSET(struct xen_add_to_physmap, gpfn, 16);

#endif /* PV_MEMORY_H */
