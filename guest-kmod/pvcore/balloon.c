// SPDX-License-Identifier: GPL-2.0
/* balloon.c: gives guest pages back to pvisor and takes them back toward memory/target. */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/page-flags.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <pv/memory.h>
#include <pv/xen.h>

#include "balloon_policy.h"
#include "internal.h"
#include "pvbus.h"
#include "pvcore.h"

/*
 * As Linux's Xen balloon (drivers/xen/balloon.c): inflating allocates pages the allocator
 * can spare without reclaim or reserves, takes them out of the managed count (MemTotal
 * drops), marks them offline and hands their frames to pvisor with decrease_reservation,
 * which frees them in the host; deflating takes frames back with populate_physmap and frees
 * the pages to the allocator. The work item steps PV_BALLOON_BATCH pages at a time and,
 * when the allocator or pvisor refuses, retries with back-off. All state is under
 * pv_balloon_lock.
 */
#define GFP_PV_BALLOON (GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC)

static DEFINE_MUTEX(pv_balloon_lock);
static LIST_HEAD(pv_balloon_pages); /* given back; page->lru links them */
static u64 pv_balloon_frames[PV_BALLOON_BATCH]; /* the hypercalls' frame list */
static unsigned long pv_balloon_total;		 /* guest pages at load */
static unsigned long pv_balloon_floor_pages;
static unsigned long pv_balloon_current;	 /* pages the guest has now */
static unsigned long pv_balloon_target_pages;
static unsigned long pv_balloon_out;		 /* pages given back */
static long pv_balloon_offset_pages;
static bool pv_balloon_have_offset;
static bool pv_balloon_stopping;
static struct pv_balloon_backoff pv_balloon_backoff;
static struct {
	u64 targets, clamped, bad_targets, alloc_failures, hypercall_errors, stalls;
} pv_balloon_stats;

static void pv_balloon_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(pv_balloon_work, pv_balloon_work_fn);
static struct pvbus_watch pv_balloon_watch;
static bool pv_balloon_watching;

/*
 * decrease_reservation or populate_physmap on the first @n frames of the list. Returns how
 * many pvisor processed (a prefix of the list); a short or failed call is counted.
 */
static unsigned int pv_balloon_reservation(unsigned int cmd, unsigned int n)
{
	struct xen_memory_reservation res = {
		.extent_start = (unsigned long)pv_balloon_frames,
		.nr_extents = n,
		.extent_order = 0,
		.domid = DOMID_SELF,
	};
	int done = pvcore_memory_op(cmd, &res);

	if (done < 0 || (unsigned int)done > n) {
		pv_balloon_stats.hypercall_errors++;
		pr_warn_ratelimited("pvcore: memory_op %u on %u frames returned %d\n", cmd, n, done);
		return 0;
	}
	if ((unsigned int)done < n)
		pv_balloon_stats.hypercall_errors++;
	return done;
}

/* Gives up to @n (<= PV_BALLOON_BATCH) pages back; returns how many went. */
static unsigned int pv_balloon_inflate(unsigned int n)
{
	struct page *page, *tmp;
	unsigned int got = 0, i = 0, done;
	LIST_HEAD(batch);

	while (got < n) {
		page = alloc_page(GFP_PV_BALLOON);
		if (!page) {
			pv_balloon_stats.alloc_failures++;
			break;
		}
		list_add_tail(&page->lru, &batch);
		pv_balloon_frames[got++] = page_to_pfn(page);
	}
	if (!got)
		return 0;
	done = pv_balloon_reservation(XENMEM_decrease_reservation, got);
	/* The first @done pages of the batch are out; pvisor stopped before the rest. */
	list_for_each_entry_safe(page, tmp, &batch, lru) {
		list_del(&page->lru);
		if (i++ >= done) {
			__free_page(page);
			continue;
		}
		adjust_managed_page_count(page, -1);
		__SetPageOffline(page);
		list_add(&page->lru, &pv_balloon_pages);
	}
	pv_balloon_out += done;
	pv_balloon_current -= done;
	return done;
}

/* Takes up to @n (<= PV_BALLOON_BATCH) pages back; returns how many came. */
static unsigned int pv_balloon_deflate(unsigned int n)
{
	struct page *page, *tmp;
	unsigned int k = 0, i = 0, done;

	list_for_each_entry(page, &pv_balloon_pages, lru) {
		if (k == n)
			break;
		pv_balloon_frames[k++] = page_to_pfn(page);
	}
	if (!k)
		return 0;
	done = pv_balloon_reservation(XENMEM_populate_physmap, k);
	/* The first @done pages of the list are the frames pvisor backed again. */
	list_for_each_entry_safe(page, tmp, &pv_balloon_pages, lru) {
		if (i++ == done)
			break;
		list_del(&page->lru);
		__ClearPageOffline(page);
		adjust_managed_page_count(page, 1);
		__free_page(page);
	}
	pv_balloon_out -= done;
	pv_balloon_current += done;
	return done;
}

/* One step toward the target; returns the pages moved (0: there, or stalled). */
static unsigned long pv_balloon_step_once(void)
{
	long step = pv_balloon_step(pv_balloon_current, pv_balloon_target_pages, pv_balloon_out,
				    si_mem_available());

	if (step > 0)
		return pv_balloon_deflate(step);
	if (step < 0)
		return pv_balloon_inflate(-step);
	return 0;
}

static void pv_balloon_work_fn(struct work_struct *work)
{
	unsigned int delay;
	bool moved;

	mutex_lock(&pv_balloon_lock);
	while (!pv_balloon_stopping && pv_balloon_current != pv_balloon_target_pages) {
		moved = pv_balloon_step_once() > 0;
		delay = pv_balloon_next_delay(&pv_balloon_backoff, moved);
		if (delay) {
			pv_balloon_stats.stalls++;
			schedule_delayed_work(&pv_balloon_work, delay * HZ);
			break;
		}
		/* Let a new target or a debugfs reader in between batches. */
		mutex_unlock(&pv_balloon_lock);
		cond_resched();
		mutex_lock(&pv_balloon_lock);
	}
	mutex_unlock(&pv_balloon_lock);
}

/* On the watch thread, the only writer of the offset. */
static void pv_balloon_set_target(u64 target_kib)
{
	u64 static_max = target_kib;
	bool clamped;

	if (!pv_balloon_have_offset &&
	    pvbus_scanf(PVBUS_TXN_NONE, "memory", "static-max", "%llu", &static_max) != 1)
		static_max = target_kib;
	mutex_lock(&pv_balloon_lock);
	if (!pv_balloon_have_offset) {
		pv_balloon_offset_pages = pv_balloon_offset(static_max, pv_balloon_current);
		pv_balloon_have_offset = true;
	}
	pv_balloon_target_pages = pv_balloon_target(target_kib, pv_balloon_offset_pages,
						    pv_balloon_floor_pages, pv_balloon_total,
						    &clamped);
	pv_balloon_stats.targets++;
	if (clamped) {
		pv_balloon_stats.clamped++;
		pr_info_ratelimited("pvcore: balloon target %llu KiB out of range, using %lu KiB\n",
				    target_kib, pv_balloon_target_pages << (PAGE_SHIFT - 10));
	}
	pv_balloon_backoff.delay_s = 0;
	if (!pv_balloon_stopping)
		mod_delayed_work(system_wq, &pv_balloon_work, 0);
	mutex_unlock(&pv_balloon_lock);
}

/* On pvbus's watch thread. No node (or not yet): the balloon keeps its target, as Linux. */
static void pv_balloon_target_changed(struct pvbus_watch *watch, const char *path,
				      const char *token)
{
	char *value = pvbus_read(PVBUS_TXN_NONE, "memory", "target", NULL);
	u64 kib;

	if (IS_ERR(value))
		return;
	if (kstrtou64(value, 10, &kib)) {
		mutex_lock(&pv_balloon_lock);
		pv_balloon_stats.bad_targets++;
		mutex_unlock(&pv_balloon_lock);
		pr_warn_ratelimited("pvcore: memory/target '%*pE' is not a number of KiB\n",
				    (int)strlen(value), value);
	} else {
		pv_balloon_set_target(kib);
	}
	kfree(value);
}

#define PV_BALLOON_KB(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

static int pv_balloon_show(struct seq_file *m, void *unused)
{
	mutex_lock(&pv_balloon_lock);
	seq_printf(m, "target_kb %lu\ncurrent_kb %lu\nfloor_kb %lu\nballooned_pages %lu\n",
		   PV_BALLOON_KB(pv_balloon_target_pages), PV_BALLOON_KB(pv_balloon_current),
		   PV_BALLOON_KB(pv_balloon_floor_pages), pv_balloon_out);
	seq_printf(m, "targets %llu\nclamped %llu\nbad_targets %llu\n", pv_balloon_stats.targets,
		   pv_balloon_stats.clamped, pv_balloon_stats.bad_targets);
	seq_printf(m, "alloc_failures %llu\nhypercall_errors %llu\nstalls %llu\n",
		   pv_balloon_stats.alloc_failures, pv_balloon_stats.hypercall_errors,
		   pv_balloon_stats.stalls);
	mutex_unlock(&pv_balloon_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pv_balloon);

void pv_balloon_init(void)
{
	int err;

	pv_balloon_total = get_num_physpages();
	pv_balloon_current = pv_balloon_total;
	pv_balloon_target_pages = pv_balloon_total;
	pv_balloon_floor_pages = pv_balloon_floor(pv_balloon_total);
	pv_balloon_stopping = false;
	/* Removed with pvcore's directory (before pv_balloon_exit runs). */
	debugfs_create_file("balloon", 0444, pv_debugfs_dir, NULL, &pv_balloon_fops);
	if (!pv_pvbus_ready())
		return;
	err = pvbus_watch_path(&pv_balloon_watch, "memory", "target", pv_balloon_target_changed);
	if (err) {
		pr_warn("pvcore: no balloon (watching memory/target: %d)\n", err);
		return;
	}
	pv_balloon_watching = true;
}

/* Takes every page given back before the module (and its page list) goes. */
void pv_balloon_exit(void)
{
	if (pv_balloon_watching)
		pvbus_unwatch_path(&pv_balloon_watch);
	pv_balloon_watching = false;
	mutex_lock(&pv_balloon_lock);
	pv_balloon_stopping = true;
	mutex_unlock(&pv_balloon_lock);
	cancel_delayed_work_sync(&pv_balloon_work);
	mutex_lock(&pv_balloon_lock);
	while (pv_balloon_out && pv_balloon_deflate(PV_BALLOON_BATCH))
		cond_resched();
	if (pv_balloon_out)
		pr_err("pvcore: %lu ballooned pages could not be taken back; they stay out\n",
		       pv_balloon_out);
	mutex_unlock(&pv_balloon_lock);
}
