/* pv/grant_table.h: grant table v1 entries and grant_table_op (hypercall 20) structures. */
#ifndef PV_GRANT_TABLE_H
#define PV_GRANT_TABLE_H

#include "abi_types.h"

/*
 * A grant entry lets domain `domid` access guest frame `frame`. The granting side writes
 * domid and frame, then wmb, then flags (so the grantee never sees a valid type with stale
 * fields). References 0..PV_GNTTAB_NR_RESERVED-1 are reserved (0 console, 1 store).
 *
 * Ending access (guest side, XSA-396): read flags; if GTF_reading or GTF_writing is set
 * the grantee is still using the page: defer. Otherwise cmpxchg flags -> 0 and retry if it
 * changed. Only after that cmpxchg succeeds may the page be reused or freed.
 *
 * The grantee side (pvisor, backends) sets GTF_reading / GTF_writing with cmpxchg while it
 * maps or copies, checking in the same cmpxchg that the type is permit_access, domid is
 * the grantee and (for writes) GTF_readonly is clear; it clears them when done.
 */
struct grant_entry_v1 {
    pv_u16 flags;
    pv_domid domid;
    pv_u32 frame;
};
PV_ASSERT_SIZE(struct grant_entry_v1, 8);
PV_ASSERT_OFFSET(struct grant_entry_v1, domid, 2);
PV_ASSERT_OFFSET(struct grant_entry_v1, frame, 4);

#define GTF_invalid 0U
#define GTF_permit_access 1U
#define GTF_accept_transfer 2U
#define GTF_type_mask 3U
#define GTF_readonly (1U << 2)
#define GTF_reading (1U << 3)
#define GTF_writing (1U << 4)

#define PV_GNTTAB_ENTRIES_PER_FRAME 512U
#define PV_GNTTAB_NR_RESERVED 8U
#define GNTTAB_RESERVED_CONSOLE 0U
#define GNTTAB_RESERVED_XENSTORE 1U
/* Default and largest grant table size, in 4 KiB frames (Xen's gnttab_max_frames). */
#define PV_GNTTAB_MAX_FRAMES 64U

#define GNTTABOP_map_grant_ref 0
#define GNTTABOP_unmap_grant_ref 1
#define GNTTABOP_setup_table 2
#define GNTTABOP_copy 5
#define GNTTABOP_query_size 6
#define GNTTABOP_set_version 8
#define GNTTABOP_get_version 10

/* Status codes (struct fields, not the hypercall's return value). */
#define GNTST_okay 0
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
#define GNTST_no_space (-13)

#define GNTMAP_device_map (1U << 0)
#define GNTMAP_host_map (1U << 1)
#define GNTMAP_readonly (1U << 2)

typedef pv_u32 grant_handle_t;

struct gnttab_map_grant_ref {
    pv_u64 host_addr;     /* IN */
    pv_u32 flags;         /* IN: GNTMAP_* */
    pv_grant_ref ref;     /* IN */
    pv_domid dom;         /* IN: granting domain */
    pv_s16 status;        /* OUT: GNTST_* */
    grant_handle_t handle; /* OUT */
    pv_u64 dev_bus_addr;  /* OUT */
};
PV_ASSERT_SIZE(struct gnttab_map_grant_ref, 32);
PV_ASSERT_OFFSET(struct gnttab_map_grant_ref, flags, 8);
PV_ASSERT_OFFSET(struct gnttab_map_grant_ref, ref, 12);
PV_ASSERT_OFFSET(struct gnttab_map_grant_ref, dom, 16);
PV_ASSERT_OFFSET(struct gnttab_map_grant_ref, status, 18);
PV_ASSERT_OFFSET(struct gnttab_map_grant_ref, handle, 20);
PV_ASSERT_OFFSET(struct gnttab_map_grant_ref, dev_bus_addr, 24);

struct gnttab_unmap_grant_ref {
    pv_u64 host_addr;
    pv_u64 dev_bus_addr;
    grant_handle_t handle;
    pv_s16 status; /* OUT */
    pv_u16 pad;
};
PV_ASSERT_SIZE(struct gnttab_unmap_grant_ref, 24);
PV_ASSERT_OFFSET(struct gnttab_unmap_grant_ref, handle, 16);
PV_ASSERT_OFFSET(struct gnttab_unmap_grant_ref, status, 20);

struct gnttab_setup_table {
    pv_domid dom;       /* IN: DOMID_SELF */
    pv_u16 pad0;
    pv_u32 nr_frames;   /* IN */
    pv_s16 status;      /* OUT */
    pv_u16 pad1[3];
    pv_guest_handle frame_list; /* OUT: array of pv_u64 frames */
};
PV_ASSERT_SIZE(struct gnttab_setup_table, 24);
PV_ASSERT_OFFSET(struct gnttab_setup_table, nr_frames, 4);
PV_ASSERT_OFFSET(struct gnttab_setup_table, status, 8);
PV_ASSERT_OFFSET(struct gnttab_setup_table, frame_list, 16);

struct gnttab_query_size {
    pv_domid dom;         /* IN */
    pv_u16 pad0;
    pv_u32 nr_frames;     /* OUT */
    pv_u32 max_nr_frames; /* OUT */
    pv_s16 status;        /* OUT */
    pv_u16 pad1;
};
PV_ASSERT_SIZE(struct gnttab_query_size, 16);
PV_ASSERT_OFFSET(struct gnttab_query_size, max_nr_frames, 8);
PV_ASSERT_OFFSET(struct gnttab_query_size, status, 12);

/* One side of a grant copy: a grant reference (flag GNTCOPY_*_gref) or a guest frame. */
struct gnttab_copy_ptr {
    union {
        pv_grant_ref ref;
        pv_u64 gmfn;
    } u;
    pv_domid domid;
    pv_u16 offset;
    pv_u32 pad;
};
PV_ASSERT_SIZE(struct gnttab_copy_ptr, 16);
PV_ASSERT_OFFSET(struct gnttab_copy_ptr, domid, 8);
PV_ASSERT_OFFSET(struct gnttab_copy_ptr, offset, 10);

/* Copy len bytes; neither side may cross a 4 KiB frame boundary (GNTST_bad_copy_arg). */
struct gnttab_copy {
    struct gnttab_copy_ptr source;
    struct gnttab_copy_ptr dest;
    pv_u16 len;
    pv_u16 flags;  /* GNTCOPY_* */
    pv_s16 status; /* OUT */
    pv_u16 pad;
};
PV_ASSERT_SIZE(struct gnttab_copy, 40);
PV_ASSERT_OFFSET(struct gnttab_copy, dest, 16);
PV_ASSERT_OFFSET(struct gnttab_copy, len, 32);
PV_ASSERT_OFFSET(struct gnttab_copy, flags, 34);
PV_ASSERT_OFFSET(struct gnttab_copy, status, 36);
#define GNTCOPY_source_gref (1U << 0)
#define GNTCOPY_dest_gref (1U << 1)

struct gnttab_set_version {
    pv_u32 version; /* only 1 is accepted; the call fails with -EINVAL otherwise */
};
PV_ASSERT_SIZE(struct gnttab_set_version, 4);

struct gnttab_get_version {
    pv_domid dom;
    pv_u16 pad;
    pv_u32 version; /* OUT */
};
PV_ASSERT_SIZE(struct gnttab_get_version, 8);

#endif /* PV_GRANT_TABLE_H */
