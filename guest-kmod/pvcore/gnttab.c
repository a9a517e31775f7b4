// SPDX-License-Identifier: GPL-2.0
/*
 * gnttab.c: the guest's v1 grant table: frames placed with add_to_physmap, a free list of
 * references, granting, and the safe end of access (XSA-396): a page is given back only
 * after a cmpxchg cleared its entry while the grantee had neither GTF_reading nor
 * GTF_writing set; until then the {ref, page} pair waits on a deferred list retried by a
 * delayed work.
 *
 * Trust: the table is shared with pvisor and every backend. pvcore writes domid and frame
 * and never reads them back; the only value it reads is flags, and only to decide, through
 * cmpxchg, whether an entry may be cleared.
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/xen.h>

#include "internal.h"
#include "pvcore.h"

/*
 * 16 frames = 8192 refs: a pvnet queue holds about 514 (256 rx pages, up to 256 tx, two
 * rings) and a pvblk ring with persistent grants up to 1024, so 4 frames ran out with one
 * disk and one multi-queue interface.
 */
#define PV_GNTTAB_DEFAULT_FRAMES 16U
#define PV_GNTTAB_LIST_END 0xFFFFFFFFU
#define PV_GNTTAB_RETRY_MS 1000U
/* Retries of one deferred entry before a (rate-limited) warning. */
#define PV_GNTTAB_WARN_TRIES 10U
/* Free callbacks fired per put; the others fire on a later one. */
#define PV_GNTTAB_CB_BATCH 8U

static unsigned int gnttab_frames = PV_GNTTAB_DEFAULT_FRAMES;
module_param(gnttab_frames, uint, 0444);
MODULE_PARM_DESC(gnttab_frames, "grant table frames placed at load, 512 refs each (default 16)");

/* An ended grant whose page the grantee still used; page (may be NULL) is freed with it. */
struct pv_gnttab_deferred {
	struct list_head link;
	u32 ref;
	unsigned int tries;
	struct page *page;
};

struct pv_gnttab {
	/* Table frames, never freed: pvisor and backends keep reading them (see place). */
	struct grant_entry_v1 *frame[PV_GNTTAB_MAX_FRAMES];
	unsigned int nr_frames;
	u32 nr_refs;
	/* lock guards next, free_head, free_count and the deferred list; taken in any context. */
	spinlock_t lock;
	u32 *next; /* free list links, indexed by ref */
	u32 free_head;
	u32 free_count;
	struct list_head deferred;
	unsigned int nr_deferred;
	struct list_head free_cbs; /* pvcore_gnttab_free_cb waiting for free refs */
	struct delayed_work retry;
	atomic64_t granted;
	atomic64_t ended;
	atomic64_t deferrals;
	atomic64_t leaked;
};

static struct pv_gnttab pv_gt = {
	.lock = __SPIN_LOCK_UNLOCKED(pv_gt.lock),
	.deferred = LIST_HEAD_INIT(pv_gt.deferred),
	.free_cbs = LIST_HEAD_INIT(pv_gt.free_cbs),
};

static struct grant_entry_v1 *pv_gnttab_entry(u32 ref)
{
	if (ref < PV_GNTTAB_NR_RESERVED || ref >= pv_gt.nr_refs)
		return NULL;
	return &pv_gt.frame[ref / PV_GNTTAB_ENTRIES_PER_FRAME][ref % PV_GNTTAB_ENTRIES_PER_FRAME];
}

/* Caller holds pv_gt.lock. */
static void pv_gnttab_put_free_locked(u32 ref)
{
	pv_gt.next[ref] = pv_gt.free_head;
	pv_gt.free_head = ref;
	pv_gt.free_count++;
}

/* A free callback taken off the list, copied so that it runs even if its owner is gone. */
struct pv_gnttab_ready_cb {
	void (*fn)(void *arg);
	void *arg;
};

/*
 * Takes the callbacks whose count is now free off the list (caller holds pv_gt.lock); the
 * caller runs them after unlocking, so they may claim refs themselves.
 */
static unsigned int pv_gnttab_take_ready_cbs_locked(struct pv_gnttab_ready_cb *ready)
{
	struct pvcore_gnttab_free_cb *cb, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(cb, tmp, &pv_gt.free_cbs, link) {
		if (n == PV_GNTTAB_CB_BATCH)
			break;
		if (cb->count > pv_gt.free_count)
			continue;
		list_del_init(&cb->link);
		ready[n].fn = cb->fn;
		ready[n++].arg = cb->arg;
	}
	return n;
}

static void pv_gnttab_run_cbs(const struct pv_gnttab_ready_cb *ready, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ready[i].fn(ready[i].arg);
}

/* Frees one ref (its entry already cleared) and runs the callbacks that now have enough. */
static void pv_gnttab_put_free(u32 ref)
{
	struct pv_gnttab_ready_cb ready[PV_GNTTAB_CB_BATCH];
	unsigned long irqflags;
	unsigned int n;

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	pv_gnttab_put_free_locked(ref);
	n = pv_gnttab_take_ready_cbs_locked(ready);
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
	pv_gnttab_run_cbs(ready, n);
}

void pvcore_gnttab_request_free_callback(struct pvcore_gnttab_free_cb *cb, void (*fn)(void *),
					 void *arg, unsigned int count)
{
	struct pv_gnttab_ready_cb ready[PV_GNTTAB_CB_BATCH];
	unsigned long irqflags;
	unsigned int n;

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	if (list_empty(&cb->link)) {
		cb->fn = fn;
		cb->arg = arg;
		cb->count = count;
		list_add_tail(&cb->link, &pv_gt.free_cbs);
	}
	n = pv_gnttab_take_ready_cbs_locked(ready);
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
	pv_gnttab_run_cbs(ready, n);
}
EXPORT_SYMBOL_GPL(pvcore_gnttab_request_free_callback);

void pvcore_gnttab_cancel_free_callback(struct pvcore_gnttab_free_cb *cb)
{
	unsigned long irqflags;

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	list_del_init(&cb->link);
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
}
EXPORT_SYMBOL_GPL(pvcore_gnttab_cancel_free_callback);

/*
 * Clears the entry unless the grantee is using it. True: nobody can reach the page through
 * this ref any more (a grantee that pins later sees an invalid type).
 */
static bool pv_gnttab_try_end(u32 ref)
{
	struct grant_entry_v1 *e = pv_gnttab_entry(ref);
	u16 flags, prev;

	if (WARN_ON_ONCE(!e))
		return false;
	flags = READ_ONCE(e->flags);
	for (;;) {
		if (flags & (GTF_reading | GTF_writing))
			return false;
		prev = cmpxchg(&e->flags, flags, 0);
		if (prev == flags)
			return true;
		flags = prev;
	}
}

int pvcore_claim_refs(unsigned int count, u32 *refs)
{
	unsigned long irqflags;
	unsigned int i;

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	if (count > pv_gt.free_count) {
		spin_unlock_irqrestore(&pv_gt.lock, irqflags);
		return -ENOSPC;
	}
	for (i = 0; i < count; i++) {
		refs[i] = pv_gt.free_head;
		pv_gt.free_head = pv_gt.next[refs[i]];
	}
	pv_gt.free_count -= count;
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
	return 0;
}
EXPORT_SYMBOL_GPL(pvcore_claim_refs);

static void pv_gnttab_defer(u32 ref, struct page *page)
{
	struct pv_gnttab_deferred *d = kmalloc(sizeof(*d), GFP_ATOMIC);
	unsigned long irqflags;

	atomic64_inc(&pv_gt.deferrals);
	if (!d) {
		/* Neither the ref nor the page may be reused: leak both, loudly. */
		atomic64_inc(&pv_gt.leaked);
		pr_warn_ratelimited("pvcore: grant %u still in use and no memory to defer: leaked\n",
				    ref);
		return;
	}
	d->ref = ref;
	d->page = page;
	d->tries = 0;
	spin_lock_irqsave(&pv_gt.lock, irqflags);
	list_add_tail(&d->link, &pv_gt.deferred);
	pv_gt.nr_deferred++;
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
	schedule_delayed_work(&pv_gt.retry, msecs_to_jiffies(PV_GNTTAB_RETRY_MS));
}

void pvcore_release_refs(const u32 *refs, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (!pv_gnttab_entry(refs[i])) {
			WARN_ONCE(1, "pvcore: release of bad grant ref %u\n", refs[i]);
			continue;
		}
		/* A ref still granted is ended first; one still in use waits on the list. */
		if (!pv_gnttab_try_end(refs[i])) {
			pv_gnttab_defer(refs[i], NULL);
			continue;
		}
		pv_gnttab_put_free(refs[i]);
	}
}
EXPORT_SYMBOL_GPL(pvcore_release_refs);

int pvcore_grant_access_ref(u32 ref, u16 domid, unsigned long gfn, bool readonly)
{
	struct grant_entry_v1 *e = pv_gnttab_entry(ref);

	if (!e || gfn > U32_MAX)
		return -EINVAL;
	if (READ_ONCE(e->flags) & (GTF_type_mask | GTF_reading | GTF_writing))
		return -EBUSY; /* still granted or in use: end access first */
	/* The protocol's order: domid and frame, then the barrier, then the valid type. */
	WRITE_ONCE(e->domid, domid);
	WRITE_ONCE(e->frame, (u32)gfn);
	wmb();
	WRITE_ONCE(e->flags, GTF_permit_access | (readonly ? GTF_readonly : 0));
	atomic64_inc(&pv_gt.granted);
	return 0;
}
EXPORT_SYMBOL_GPL(pvcore_grant_access_ref);

int pvcore_grant_access(u16 domid, unsigned long gfn, bool readonly)
{
	u32 ref;
	int err;

	err = pvcore_claim_refs(1, &ref);
	if (err)
		return err;
	err = pvcore_grant_access_ref(ref, domid, gfn, readonly);
	if (err) {
		pvcore_release_refs(&ref, 1);
		return err;
	}
	return ref;
}
EXPORT_SYMBOL_GPL(pvcore_grant_access);

bool pvcore_end_access_ref(u32 ref)
{
	if (!pv_gnttab_try_end(ref))
		return false;
	atomic64_inc(&pv_gt.ended);
	return true;
}
EXPORT_SYMBOL_GPL(pvcore_end_access_ref);

void pvcore_end_access(u32 ref, struct page *page)
{
	if (!pv_gnttab_entry(ref)) {
		WARN_ONCE(1, "pvcore: end of bad grant ref %u\n", ref);
		return;
	}
	if (!pvcore_end_access_ref(ref)) {
		pv_gnttab_defer(ref, page);
		return;
	}
	pv_gnttab_put_free(ref);
	if (page)
		put_page(page);
}
EXPORT_SYMBOL_GPL(pvcore_end_access);

int pvcore_gnttab_copy(struct gnttab_copy *ops, unsigned int count)
{
	unsigned int done, n;
	int err;

	for (done = 0; done < count; done += n) {
		n = min(count - done, PV_GNTTAB_COPY_BATCH);
		err = pvcore_grant_table_op(GNTTABOP_copy, ops + done, n);
		if (err)
			return err;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(pvcore_gnttab_copy);

/* Retries deferred entries; whatever is still in use waits for the next round. */
static void pv_gnttab_retry_fn(struct work_struct *work)
{
	struct pv_gnttab_deferred *d, *tmp;
	unsigned long irqflags;
	unsigned int done = 0;
	LIST_HEAD(todo);

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	list_splice_init(&pv_gt.deferred, &todo);
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);

	list_for_each_entry_safe(d, tmp, &todo, link) {
		if (!pvcore_end_access_ref(d->ref)) {
			if (++d->tries == PV_GNTTAB_WARN_TRIES)
				pr_warn_ratelimited("pvcore: grant %u still in use after %u retries\n",
						    d->ref, d->tries);
			continue;
		}
		list_del(&d->link);
		pv_gnttab_put_free(d->ref);
		if (d->page)
			put_page(d->page);
		kfree(d);
		done++;
	}

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	list_splice(&todo, &pv_gt.deferred);
	pv_gt.nr_deferred -= done;
	if (!list_empty(&pv_gt.deferred))
		schedule_delayed_work(&pv_gt.retry, msecs_to_jiffies(PV_GNTTAB_RETRY_MS));
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
}

void pv_gnttab_stats(struct pv_gnttab_stats *st)
{
	unsigned long irqflags;

	spin_lock_irqsave(&pv_gt.lock, irqflags);
	st->free = pv_gt.free_count;
	st->deferred = pv_gt.nr_deferred;
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
	st->frames = pv_gt.nr_frames;
	st->refs = pv_gt.nr_refs;
	st->granted = atomic64_read(&pv_gt.granted);
	st->ended = atomic64_read(&pv_gt.ended);
	st->deferrals = atomic64_read(&pv_gt.deferrals);
	st->leaked = atomic64_read(&pv_gt.leaked);
}

/*
 * Frames a previous load of pvcore placed are still the table (pvisor never takes a frame
 * back and those pages were never freed): setup_table names them, and they are reused.
 */
static int pv_gnttab_reuse_frames(unsigned int placed)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = placed };
	u64 *gfns;
	unsigned int i;
	int err;

	gfns = kcalloc(placed, sizeof(*gfns), GFP_KERNEL);
	if (!gfns)
		return -ENOMEM;
	st.frame_list = (u64)(unsigned long)gfns;
	err = pvcore_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (!err && st.status != GNTST_okay)
		err = -EIO;
	for (i = 0; !err && i < placed; i++) {
		if (!pfn_valid(gfns[i])) {
			err = -EIO;
			break;
		}
		pv_gt.frame[i] = page_address(pfn_to_page(gfns[i]));
	}
	kfree(gfns);
	return err;
}

static int pv_gnttab_add_frame(unsigned int idx)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_grant_table,
		.idx = idx,
	};
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	int err;

	if (!page)
		return -ENOMEM;
	xatp.gpfn = page_to_pfn(page);
	err = pvcore_memory_op(XENMEM_add_to_physmap, &xatp);
	if (err) {
		__free_page(page);
		return err;
	}
	/* Never freed: pvisor keeps serving it as table frame idx (see pv_gnttab_exit). */
	pv_gt.frame[idx] = page_address(page);
	return 0;
}

static int pv_gnttab_place_frames(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	unsigned int want, placed, i;
	int err;

	err = pvcore_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (err || q.status != GNTST_okay) {
		pr_err("pvcore: grant query_size failed: %d status %d\n", err, q.status);
		return err ? err : -EIO;
	}
	if (!q.max_nr_frames)
		return -ENODEV;
	want = clamp(gnttab_frames, 1U, min(q.max_nr_frames, PV_GNTTAB_MAX_FRAMES));
	placed = min(q.nr_frames, PV_GNTTAB_MAX_FRAMES);
	if (placed) {
		err = pv_gnttab_reuse_frames(placed);
		if (err)
			return err;
	}
	for (i = placed; i < want; i++) {
		err = pv_gnttab_add_frame(i);
		if (err) {
			pr_warn("pvcore: grant frame %u not placed: %d\n", i, err);
			break;
		}
	}
	pv_gt.nr_frames = i;
	return i ? 0 : err;
}

/*
 * Builds the free list. Entries left by a previous load are cleared if nobody uses them;
 * one a grantee still holds stays out of the list for good (its old page was never freed).
 */
static int pv_gnttab_init_free_list(void)
{
	unsigned long irqflags;
	u32 ref, stale = 0;

	pv_gt.nr_refs = pv_gt.nr_frames * PV_GNTTAB_ENTRIES_PER_FRAME;
	if (pv_gt.nr_refs <= PV_GNTTAB_NR_RESERVED)
		return -ENODEV;
	pv_gt.next = kvmalloc_array(pv_gt.nr_refs, sizeof(*pv_gt.next), GFP_KERNEL);
	if (!pv_gt.next)
		return -ENOMEM;
	spin_lock_irqsave(&pv_gt.lock, irqflags);
	pv_gt.free_head = PV_GNTTAB_LIST_END;
	pv_gt.free_count = 0;
	for (ref = pv_gt.nr_refs - 1; ref >= PV_GNTTAB_NR_RESERVED; ref--) {
		if (pv_gnttab_try_end(ref))
			pv_gnttab_put_free_locked(ref);
		else
			stale++;
	}
	spin_unlock_irqrestore(&pv_gt.lock, irqflags);
	if (stale)
		pr_warn("pvcore: %u grants of a previous load still in use: left out\n", stale);
	return 0;
}

/*
 * A table that cannot be built leaves pvcore without grants (claims fail with -ENOSPC)
 * rather than without event channels and console.
 */
int pv_gnttab_init(void)
{
	int err;

	INIT_DELAYED_WORK(&pv_gt.retry, pv_gnttab_retry_fn);
	pv_gnttab_selftest_init();
	err = pv_gnttab_place_frames();
	if (!err)
		err = pv_gnttab_init_free_list();
	if (err) {
		pv_gt.nr_refs = 0;
		pr_warn("pvcore: no grant table (%d): grants unavailable\n", err);
		return 0;
	}
	pr_info("pvcore: grant table: %u frames, %u refs\n", pv_gt.nr_frames, pv_gt.nr_refs);
	return 0;
}

/*
 * Users (frontends) are gone. Deferred entries get one last try; the rest, refs and pages,
 * are leaked: a grantee may still write them. The frames themselves are never freed.
 */
void pv_gnttab_exit(void)
{
	struct pv_gnttab_deferred *d, *tmp;
	unsigned int leaked = 0;

	pv_gnttab_selftest_exit();
	cancel_delayed_work_sync(&pv_gt.retry);
	list_for_each_entry_safe(d, tmp, &pv_gt.deferred, link) {
		if (pv_gnttab_try_end(d->ref)) {
			if (d->page)
				put_page(d->page);
		} else {
			leaked++;
		}
		list_del(&d->link);
		kfree(d);
	}
	pv_gt.nr_deferred = 0;
	if (leaked)
		pr_warn("pvcore: %u grants still in use at unload: their pages are leaked\n", leaked);
	kvfree(pv_gt.next);
	pv_gt.next = NULL;
	pv_gt.free_count = 0;
	pv_gt.nr_refs = 0;
}
