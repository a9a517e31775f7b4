/* SPDX-License-Identifier: GPL-2.0 */
/* pvblk.h: the blkif frontend's shared state: device, rings, per-request data, features. */
#ifndef PVBLK_H
#define PVBLK_H

#include <linux/blk-mq.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <pv/blkif.h>
#include <pv/ring_ops.h>

#include "pvbus.h"
#include "shadow.h"

#define PVBLK_MAX_QUEUES PV_BLKIF_MAX_QUEUES
/*
 * Segments per request when the backend offers indirect descriptors: 256 x 4 KiB = 1 MiB,
 * one indirect frame. Bounded so the per-request data (pdu) stays small.
 */
#define PVBLK_MAX_INDIRECT_SEGS 256U
#define PVBLK_MAX_INDIRECT_FRAMES                                                              \
	DIV_ROUND_UP(PVBLK_MAX_INDIRECT_SEGS, BLKIF_SEGS_PER_INDIRECT_FRAME)
#define PVBLK_MAX_RING_PAGES (1U << PV_BLKIF_MAX_RING_PAGE_ORDER)
/* Minors per disk (xvd-style: 16, the whole disk and 15 partitions). */
#define PVBLK_MINORS 16
/* Disks with xvd-style names up to xvdzz (26 + 26 * 26). */
#define PVBLK_MAX_DISKS 702U
extern int pvblk_major;

/* What the backend offers (read at InitWait; rings) and the disk it serves (at Connected). */
struct pvblk_features {
	unsigned int max_queues;
	unsigned int ring_order;   /* the backend's max-ring-page-order, clamped */
	unsigned int max_indirect; /* 0: no BLKIF_OP_INDIRECT */
	bool flush;
	bool discard;
	bool discard_secure;
	bool persistent;
	unsigned int discard_granularity;
	unsigned int discard_alignment;
};

struct pvblk_disk_params {
	u64 sectors; /* 512-byte units, whatever sector_size is */
	unsigned int sector_size;
	unsigned int phys_sector_size;
	bool read_only;
};

struct pvblk_info;

/*
 * A persistent grant: a page of the ring's own, granted writable to the backend once and
 * kept granted until the ring is torn down. Data is copied through it (write: before the
 * request goes out; read: after a successful response), so the backend never maps a page
 * of the block layer's.
 */
struct pvblk_pgrant {
	struct list_head link; /* in the ring's free pool while unused */
	struct page *page;
	u32 gref;
};
/* Most persistent grants per ring (4 MiB); beyond it data pages are granted per request. */
#define PVBLK_MAX_PGRANTS_PER_RING 1024U

/* One ring, its event channel and irq; serves blk-mq hardware queue `id`. */
struct pvblk_ring {
	struct pvblk_info *info;
	unsigned int id;
	/* Serialises producing requests and consuming responses on this ring; set up at probe. */
	spinlock_t lock;
	void *sring;
	unsigned int nr_pages;
	u32 grefs[PVBLK_MAX_RING_PAGES];
	struct pv_front_ring front;
	struct pvblk_shadow *shadow; /* front.size entries */
	u32 evtchn;
	int irq;
	bool live;     /* set up and bound; requests may be produced. Ring lock. */
	bool need_run; /* queue_rq was turned away; rerun the queue on the next event */
	char name[32];
	/* Persistent grants: the free ones, and how many exist (free or in use). */
	spinlock_t pool_lock; /* set up at probe; taken inside the ring lock, never around it */
	struct list_head pool;
	unsigned int pool_count;
};

/* One frontend device (device/vbd/<devid>). */
struct pvblk_info {
	struct pvbus_device *pvdev;
	unsigned int devid;
	unsigned int index; /* xvd index: name and first minor */
	/* Serialises connect, disconnect and removal (watch thread vs remove). */
	struct mutex lock;
	struct pvblk_features feat;
	bool persistent; /* both sides set feature-persistent */
	struct pvblk_disk_params params;
	/* Fixed once the tag set exists: a reconnect must fit these. */
	unsigned int num_rings;
	unsigned int ring_order;
	unsigned int max_segs; /* segments per request: 11 or the indirect count */
	struct pvblk_ring rings[PVBLK_MAX_QUEUES];
	struct blk_mq_tag_set tag_set;
	bool tag_set_ready;
	struct gendisk *gd;
	bool quiesced;
	/* Bit 0: the backend broke the protocol; all I/O fails from then on. */
	unsigned long broken;
	/* Bit 0: the device is going away; requests fail instead of waiting for a backend. */
	unsigned long dying;
	/* Fails every ring's outstanding requests once the device is broken. */
	struct work_struct broken_work;
	/* Protocol violations seen (the first one is logged). */
	atomic_t violations;
};

/*
 * Per-request data (blk-mq pdu): the grants this request holds. Rebuilt each time the
 * request is queued, so a request requeued after a reconnect starts clean.
 */
struct pvblk_req {
	struct pvblk_ring *ring; /* where the request was queued (its persistent grants' pool) */
	blk_status_t status;
	bool read;
	unsigned int nr_grants;
	unsigned int nr_indirect;
	u32 ind_grefs[PVBLK_MAX_INDIRECT_FRAMES];
	struct page *ind_pages[PVBLK_MAX_INDIRECT_FRAMES];
	u32 grefs[PVBLK_MAX_INDIRECT_SEGS];
	struct page *pages[PVBLK_MAX_INDIRECT_SEGS];
	/* Segment i went through this persistent grant (then grefs/pages[i] are unused). */
	struct pvblk_pgrant *pg[PVBLK_MAX_INDIRECT_SEGS];
	struct scatterlist sg[PVBLK_MAX_INDIRECT_SEGS];
};

extern unsigned int pvblk_max_queues;
extern unsigned int pvblk_max_ring_order;
extern unsigned int pvblk_max_indirect;

/* connect.c */
void pvblk_read_features(struct pvblk_info *info);
int pvblk_read_disk_params(struct pvblk_info *info);
int pvblk_publish(struct pvblk_info *info);

/* ring.c */
int pvblk_ring_setup(struct pvblk_info *info, unsigned int id);
void pvblk_ring_teardown(struct pvblk_ring *ring, bool requeue);
void pvblk_mark_broken(struct pvblk_info *info, const char *why, u64 id);
void pvblk_broken_work(struct work_struct *work);
static inline bool pvblk_is_broken(const struct pvblk_info *info)
{
	return test_bit(0, &info->broken);
}
/* The shadow unit's view of @ring (shadow.h). */
static inline struct pvblk_inflight pvblk_ring_inflight(struct pvblk_ring *ring)
{
	return (struct pvblk_inflight){
		.ring = ring, .front = &ring->front, .shadow = ring->shadow,
	};
}

/* request.c */
extern const struct blk_mq_ops pvblk_mq_ops;
void pvblk_release_grants(struct pvblk_req *preq);
void pvblk_copy_back(struct pvblk_req *preq);
void pvblk_pool_free(struct pvblk_ring *ring);

/* disk.c */
int pvblk_disk_create(struct pvblk_info *info);
void pvblk_disk_apply_params(struct pvblk_info *info);
void pvblk_disk_destroy(struct pvblk_info *info);
int pvblk_index_from_devid(unsigned int devid);

#endif /* PVBLK_H */
