/* pv/blkif.h: the PV block protocol (Xen io/blkif.h layouts): requests, responses, keys. */
#ifndef PV_BLKIF_H
#define PV_BLKIF_H

#include "abi_types.h"
#include "ring.h"

/*
 * Overview
 * --------
 * A virtual block device (vbd) is served over one or more shared rings (pv/ring.h layout:
 * a 64-byte header then entries). Each entry is the union of one request (112 B) and one
 * response (16 B), so an entry is 112 bytes: a 4 KiB ring holds 32 entries.
 * The frontend (guest) produces requests and consumes responses; the backend (host) the
 * reverse. Each side is untrusted by the other: the backend copies each request slot out of
 * shared memory once and validates the copy; the frontend keeps its own shadow of each
 * request and checks every response's id and operation against it.
 *
 * Units
 * -----
 * sector_number and nr_sectors are ALWAYS in 512-byte units, whatever sector-size says.
 * A segment names one granted 4 KiB frame and the inclusive 512-byte sector range
 * [first_sect, last_sect] inside it (0 <= first_sect <= last_sect <= 7).
 *
 * Connection state diagram (XenbusState, pv/xs_wire.h values; keys below)
 * --------------------------------------------------------------------
 *   Frontend                              Backend
 *   Initialising                          Initialising
 *                                         publishes feature-*, sectors, info, sector-size
 *                                         -> InitWait
 *   reads backend features; writes ring-ref(s), event-channel(s), protocol, feature-*
 *   in one transaction (retry on EAGAIN)
 *   -> Initialised
 *                                         maps the ring(s), binds the event channel(s)
 *                                         -> Connected
 *   -> Connected
 *   Teardown: either side -> Closing -> Closed. A backend whose frontend reaches Closed
 *   closes too and, while "online" is 1, goes back to InitWait for a reconnect.
 */

/* --- Operations ------------------------------------------------------------------------- */

/* Read nr_segments segments starting at sector_number into the granted frames. */
#define BLKIF_OP_READ 0
/* Write the segments' data to the disk. Refused (BLKIF_RSP_ERROR) on a read-only disk. */
#define BLKIF_OP_WRITE 1
/* Ordered write (feature-barrier). pvisor's backend does not advertise it: EOPNOTSUPP. */
#define BLKIF_OP_WRITE_BARRIER 2
/*
 * Flush the disk's volatile cache (feature-flush-cache). Completes only after every write
 * that completed before the flush was received is durable. With nr_segments > 0 it also
 * carries a write: the data is written and then made durable (preflush + FUA semantics).
 * On failure: BLKIF_RSP_ERROR; without the feature: BLKIF_RSP_EOPNOTSUPP.
 */
#define BLKIF_OP_FLUSH_DISKCACHE 3
/* Reserved by Xen (was used by a vendor extension); answered EOPNOTSUPP. */
#define BLKIF_OP_RESERVED_1 4
/*
 * Discard nr_sectors from sector_number (feature-discard; struct blkif_request_discard).
 * The range reads back as zeros afterwards on a pvisor backend. Secure discard (flag bit 0)
 * only with discard-secure = 1.
 */
#define BLKIF_OP_DISCARD 5
/*
 * Indirect request (feature-max-indirect-segments > 0; struct blkif_request_indirect).
 * indirect_op is READ or WRITE; the segments live in up to BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST
 * granted frames, BLKIF_SEGS_PER_INDIRECT_FRAME struct blkif_request_segment per frame.
 */
#define BLKIF_OP_INDIRECT 6

/* --- Response status -------------------------------------------------------------------- */
#define BLKIF_RSP_EOPNOTSUPP (-2) /* operation not supported (or feature not negotiated) */
#define BLKIF_RSP_ERROR (-1)      /* request invalid, refused, or the I/O failed */
#define BLKIF_RSP_OKAY 0

/* --- Limits ----------------------------------------------------------------------------- */
#define BLKIF_SECTOR_SHIFT 9
#define BLKIF_SECTOR_SIZE 512U
#define BLKIF_SECTORS_PER_FRAME 8U /* 4 KiB frame / 512 B */
#define BLKIF_MAX_SEGMENTS_PER_REQUEST 11U
#define BLKIF_SEGS_PER_INDIRECT_FRAME 512U /* 4096 / sizeof(struct blkif_request_segment) */
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8U
/* Largest feature-max-indirect-segments the layout allows (8 frames x 512 entries). */
#define BLKIF_MAX_INDIRECT_SEGMENTS_LAYOUT                                                        \
    (BLKIF_SEGS_PER_INDIRECT_FRAME * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
/* Largest ring-page-order a pvisor backend offers (max-ring-page-order): 16 pages. */
#define PV_BLKIF_MAX_RING_PAGE_ORDER 4U
/* Most queues a pvisor backend offers (multi-queue-max-queues). */
#define PV_BLKIF_MAX_QUEUES 16U

/* --- Wire structures ------------------------------------------------------------------- */

/* One granted frame and the inclusive 512-byte sector range used inside it. */
struct blkif_request_segment {
    pv_grant_ref gref; /* grant of the data frame to the backend domain */
    pv_u8 first_sect;  /* 0..7 */
    pv_u8 last_sect;   /* first_sect..7 */
    pv_u16 pad;
};
PV_ASSERT_SIZE(struct blkif_request_segment, 8);
PV_ASSERT_OFFSET(struct blkif_request_segment, first_sect, 4);
PV_ASSERT_OFFSET(struct blkif_request_segment, last_sect, 5);

/* READ, WRITE, WRITE_BARRIER, FLUSH_DISKCACHE. */
struct blkif_request {
    pv_u8 operation;   /* BLKIF_OP_* */
    pv_u8 nr_segments; /* 1..11 for READ/WRITE; 0..11 for FLUSH_DISKCACHE */
    pv_u16 handle;     /* virtual device handle (ignored by pvisor) */
    pv_u32 pad0;
    pv_u64 id;            /* echoed in the response; opaque to the backend */
    pv_u64 sector_number; /* start sector on the disk, 512-byte units */
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
PV_ASSERT_SIZE(struct blkif_request, 112);
PV_ASSERT_OFFSET(struct blkif_request, nr_segments, 1);
PV_ASSERT_OFFSET(struct blkif_request, handle, 2);
PV_ASSERT_OFFSET(struct blkif_request, id, 8);
PV_ASSERT_OFFSET(struct blkif_request, sector_number, 16);
PV_ASSERT_OFFSET(struct blkif_request, seg, 24);

#define BLKIF_DISCARD_SECURE (1U << 0) /* flag: secure erase (discard-secure) */

struct blkif_request_discard {
    pv_u8 operation; /* BLKIF_OP_DISCARD */
    pv_u8 flag;      /* BLKIF_DISCARD_* */
    pv_u16 handle;
    pv_u32 pad0;
    pv_u64 id;
    pv_u64 sector_number; /* 512-byte units */
    pv_u64 nr_sectors;    /* 512-byte units, >= 1 */
    pv_u8 pad1[80];       /* to the request size */
};
PV_ASSERT_SIZE(struct blkif_request_discard, 112);
PV_ASSERT_OFFSET(struct blkif_request_discard, flag, 1);
PV_ASSERT_OFFSET(struct blkif_request_discard, id, 8);
PV_ASSERT_OFFSET(struct blkif_request_discard, sector_number, 16);
PV_ASSERT_OFFSET(struct blkif_request_discard, nr_sectors, 24);

struct blkif_request_other {
    pv_u8 operation;
    pv_u8 pad0;
    pv_u16 pad1;
    pv_u32 pad2;
    pv_u64 id;
    pv_u8 pad3[96];
};
PV_ASSERT_SIZE(struct blkif_request_other, 112);
PV_ASSERT_OFFSET(struct blkif_request_other, id, 8);

struct blkif_request_indirect {
    pv_u8 operation;    /* BLKIF_OP_INDIRECT */
    pv_u8 indirect_op;  /* BLKIF_OP_READ or BLKIF_OP_WRITE */
    pv_u16 nr_segments; /* 1..feature-max-indirect-segments */
    pv_u32 pad0;
    pv_u64 id;
    pv_u64 sector_number; /* 512-byte units */
    pv_u16 handle;
    pv_u16 pad1;
    /* Frames holding the segment array: ceil(nr_segments / 512) of them are used. */
    pv_grant_ref indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    pv_u8 pad2[52]; /* to the request size */
};
PV_ASSERT_SIZE(struct blkif_request_indirect, 112);
PV_ASSERT_OFFSET(struct blkif_request_indirect, indirect_op, 1);
PV_ASSERT_OFFSET(struct blkif_request_indirect, nr_segments, 2);
PV_ASSERT_OFFSET(struct blkif_request_indirect, id, 8);
PV_ASSERT_OFFSET(struct blkif_request_indirect, sector_number, 16);
PV_ASSERT_OFFSET(struct blkif_request_indirect, handle, 24);
PV_ASSERT_OFFSET(struct blkif_request_indirect, indirect_grefs, 28);
/* Xen's indirect fields end at byte 60 (64 with its tail padding); the rest pads the union. */
PV_STATIC_ASSERT(offsetof(struct blkif_request_indirect, pad2) == 60, "indirect grefs end");

/* Every request form overlays one ring slot. */
union blkif_request_any {
    struct blkif_request rw;
    struct blkif_request_discard discard;
    struct blkif_request_indirect indirect;
    struct blkif_request_other other;
};
PV_ASSERT_SIZE(union blkif_request_any, 112);

/*
 * The backend writes every byte of a response (padding zeroed, XSA-216: no stale data
 * leaks to the guest through it).
 */
struct blkif_response {
    pv_u64 id;        /* the request's id, unchanged */
    pv_u8 operation;  /* the request's operation (BLKIF_OP_INDIRECT for indirect) */
    pv_u8 pad0;
    pv_s16 status;    /* BLKIF_RSP_* */
    pv_u32 pad1;
};
PV_ASSERT_SIZE(struct blkif_response, 16);
PV_ASSERT_OFFSET(struct blkif_response, operation, 8);
PV_ASSERT_OFFSET(struct blkif_response, status, 10);

/* A ring slot is the union of a request and a response (pv/ring.h PV_RING_DECLARE). */
PV_RING_DECLARE(blkif, union blkif_request_any, struct blkif_response);
#define PV_BLKIF_RING_ENTRY_SIZE 112U
PV_ASSERT_SIZE(union blkif_sring_entry, PV_BLKIF_RING_ENTRY_SIZE);
/* Offset of the first entry in a shared ring page (pv/ring.h header). */
#define PV_BLKIF_RING_HEADER_SIZE PV_RING_HEADER_SIZE
/* Entries in a ring of 2^order pages (pv/ring.h size rule): 32 << order. */
#define PV_BLKIF_RING_SIZE_1PAGE PV_RING_SIZE(PV_RING_BYTES(1U), PV_BLKIF_RING_ENTRY_SIZE)
#define PV_BLKIF_RING_SIZE_ORDER(o) (32U << (o))
PV_STATIC_ASSERT(PV_BLKIF_RING_SIZE_1PAGE == 32U, "one-page blkif ring: 36 fit, 32 used");
PV_STATIC_ASSERT(PV_RING_SIZE(PV_RING_BYTES(1U << PV_BLKIF_MAX_RING_PAGE_ORDER),
                              PV_BLKIF_RING_ENTRY_SIZE) ==
                     PV_BLKIF_RING_SIZE_ORDER(PV_BLKIF_MAX_RING_PAGE_ORDER),
                 "largest blkif ring: 512 entries");

/* --- info key bits (backend "info") ---------------------------------------------------- */
#define VDISK_CDROM 0x1U
#define VDISK_REMOVABLE 0x2U
#define VDISK_READONLY 0x4U

/*
 * Feature and parameter negotiation (xenstore keys)
 * ================================================
 * Backend nodes: backend/vbd/<frontend-domid>/<handle>/
 *
 * mode            Values: "r" | "w".  Default: "w".  Notes: "r" refuses WRITE and
 *                 FLUSH_DISKCACHE with data (BLKIF_RSP_ERROR), does not offer discard
 *                 (BLKIF_RSP_EOPNOTSUPP); info has VDISK_READONLY.
 * params          Values: host path of the image.  Notes: informational for the frontend.
 * info            Values: VDISK_* bits.  Default: 0.
 * sectors         Values: disk size in 512-byte units.  Notes: required.
 * sector-size     Values: logical sector size in bytes (512, 4096).  Default: 512.
 * physical-sector-size  Values: bytes, a multiple of sector-size.  Default: sector-size.
 * feature-flush-cache   Values: 0 | 1.  Default: 0.  Notes: enables BLKIF_OP_FLUSH_DISKCACHE.
 * feature-barrier Values: 0 | 1.  Default: 0.  Notes: pvisor writes 0.
 * feature-discard Values: 0 | 1.  Default: 0.  Notes: enables BLKIF_OP_DISCARD, with:
 *   discard-granularity  bytes, Default: sector-size;
 *   discard-alignment    bytes, Default: 0;
 *   discard-secure       0 | 1, Default: 0.
 * feature-persistent    Values: 0 | 1.  Default: 0.  Notes: the backend keeps grants the
 *                 frontend reuses mapped (bounded pool); used only if the frontend also
 *                 writes feature-persistent = 1.
 * feature-max-indirect-segments  Values: 0 | 1..BLKIF_MAX_INDIRECT_SEGMENTS_LAYOUT.
 *                 Default: 0 (no BLKIF_OP_INDIRECT).  Notes: pvisor offers 256.
 * max-ring-page-order   Values: 0..PV_BLKIF_MAX_RING_PAGE_ORDER.  Default: 0 (one page).
 *                 Notes: the Citrix/Linux scheme; the page-count scheme (max-ring-pages) is
 *                 not offered.
 * multi-queue-max-queues  Values: 1..PV_BLKIF_MAX_QUEUES.  Default: 1.
 * online          Values: 0 | 1.  Notes: 1 = reconnect after the frontend closes.
 * state           XenbusState.
 *
 * Frontend nodes: device/vbd/<handle>/
 *
 * backend, backend-id, state, virtual-device   the usual device keys.
 * protocol        Values: "x86_64-abi".  Default: "x86_64-abi".  Notes: only this layout.
 * ring-ref        Values: grant reference of the single ring page (ring-page-order 0).
 * ring-page-order Values: 0..max-ring-page-order.  Default: 0.  Notes: with N > 0 the pages
 *                 are ring-ref0..ring-ref(2^N - 1).
 * event-channel   Values: event channel port.
 * multi-queue-num-queues  Values: 1..multi-queue-max-queues.  Default: 1.  Notes: with more
 *                 than one queue each queue's keys are under queue-<i>/ (ring-ref*,
 *                 event-channel) and the top-level ring-ref/event-channel are not written.
 * feature-persistent  Values: 0 | 1.  Default: 0.
 *
 * Persistent grants: when both sides set feature-persistent, the frontend draws data pages
 * from a fixed pool of read-write grants and the backend keeps the mapping of each ref it
 * sees (up to a bounded number; beyond it, refs are mapped per request).
 */
#define BLKIF_KEY_FEATURE_FLUSH "feature-flush-cache"
#define BLKIF_KEY_FEATURE_BARRIER "feature-barrier"
#define BLKIF_KEY_FEATURE_DISCARD "feature-discard"
#define BLKIF_KEY_DISCARD_GRANULARITY "discard-granularity"
#define BLKIF_KEY_DISCARD_ALIGNMENT "discard-alignment"
#define BLKIF_KEY_DISCARD_SECURE "discard-secure"
#define BLKIF_KEY_FEATURE_PERSISTENT "feature-persistent"
#define BLKIF_KEY_FEATURE_MAX_INDIRECT "feature-max-indirect-segments"
#define BLKIF_KEY_MAX_RING_PAGE_ORDER "max-ring-page-order"
#define BLKIF_KEY_RING_PAGE_ORDER "ring-page-order"
#define BLKIF_KEY_MQ_MAX_QUEUES "multi-queue-max-queues"
#define BLKIF_KEY_MQ_NUM_QUEUES "multi-queue-num-queues"
#define BLKIF_KEY_SECTORS "sectors"
#define BLKIF_KEY_SECTOR_SIZE "sector-size"
#define BLKIF_KEY_PHYS_SECTOR_SIZE "physical-sector-size"
#define BLKIF_KEY_INFO "info"
#define BLKIF_KEY_MODE "mode"
#define BLKIF_KEY_RING_REF "ring-ref"
#define BLKIF_KEY_EVENT_CHANNEL "event-channel"
#define BLKIF_KEY_PROTOCOL "protocol"
#define BLKIF_PROTOCOL_X86_64 "x86_64-abi"

#endif /* PV_BLKIF_H */
