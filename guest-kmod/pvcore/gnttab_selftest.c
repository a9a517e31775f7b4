// SPDX-License-Identifier: GPL-2.0
/*
 * gnttab_selftest.c: /sys/kernel/debug/pvcore/grant, the grant table's self-test for e2e.
 *
 * Write one command, then read the file for its answer (one line; "stats" appended):
 *   grant ro|rw <seed>   fill a new page with pattern(seed), grant it to domain 0
 *                        -> "ref=<r> gfn=<g>"
 *   check <ref> <seed>   the page of <ref> holds pattern(seed) -> "check ref=<r> ok"
 *                        or "check ref=<r> FAILED at <offset>"
 *   end <ref>            end access; the page is freed now or once the grantee let go
 *                        -> "end ref=<r> ok" or "end ref=<r> deferred"
 *   selftest             grant copies through pvisor, and the refusals a guest can see
 *                        (read-only, revoked, bad ref, crossing the page end)
 *                        -> "grant selftest ok" or "grant selftest FAILED: <step> ..."
 * pattern(seed) byte i = (seed + 7 * i) & 0xff, as tests/e2e/scenarios/grant.sh expects.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <pv/grant_table.h>
#include <pv/xen.h>

#include "internal.h"
#include "pvcore.h"

#define PV_GST_SLOTS 64U
#define PV_GST_CMD_MAX 64U

struct pv_gst_slot {
	u32 ref; /* 0: free slot (refs below PV_GNTTAB_NR_RESERVED are never granted) */
	struct page *page;
};

static struct pv_gst_slot pv_gst_slots[PV_GST_SLOTS];
static DEFINE_MUTEX(pv_gst_lock); /* slots and the answer */
static char pv_gst_answer[192] = "no command yet\n";

static u8 pv_gst_byte(u32 seed, unsigned int i)
{
	return (u8)(seed + 7U * i);
}

static void pv_gst_fill(struct page *page, u32 seed)
{
	u8 *p = page_address(page);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = pv_gst_byte(seed, i);
}

/* Offset of the first byte differing from pattern(seed), or PAGE_SIZE if none. */
static unsigned int pv_gst_mismatch(struct page *page, u32 seed)
{
	const u8 *p = page_address(page);
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++) {
		if (READ_ONCE(p[i]) != pv_gst_byte(seed, i))
			break;
	}
	return i;
}

static struct pv_gst_slot *pv_gst_find(u32 ref)
{
	unsigned int i;

	for (i = 0; i < PV_GST_SLOTS; i++) {
		if (ref && pv_gst_slots[i].ref == ref)
			return &pv_gst_slots[i];
	}
	return NULL;
}

static void pv_gst_grant(bool readonly, u32 seed)
{
	struct pv_gst_slot *slot;
	struct page *page;
	int ref;

	for (slot = pv_gst_slots; slot < pv_gst_slots + PV_GST_SLOTS && slot->ref; slot++)
		;
	if (slot == pv_gst_slots + PV_GST_SLOTS) {
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "grant FAILED: no slot\n");
		return;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "grant FAILED: no memory\n");
		return;
	}
	pv_gst_fill(page, seed);
	ref = pvcore_grant_access(PV_DOMID_HOST, page_to_pfn(page), readonly);
	if (ref < 0) {
		__free_page(page);
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "grant FAILED: %d\n", ref);
		return;
	}
	slot->ref = ref;
	slot->page = page;
	snprintf(pv_gst_answer, sizeof(pv_gst_answer), "ref=%d gfn=%lu\n", ref,
		 page_to_pfn(page));
}

static void pv_gst_check(u32 ref, u32 seed)
{
	struct pv_gst_slot *slot = pv_gst_find(ref);
	unsigned int off;

	if (!slot) {
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "check ref=%u FAILED: unknown\n", ref);
		return;
	}
	off = pv_gst_mismatch(slot->page, seed);
	if (off == PAGE_SIZE)
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "check ref=%u ok\n", ref);
	else
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "check ref=%u FAILED at %u\n", ref,
			 off);
}

static void pv_gst_end(u32 ref)
{
	struct pv_gst_slot *slot = pv_gst_find(ref);
	bool ended;

	if (!slot) {
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "end ref=%u FAILED: unknown\n", ref);
		return;
	}
	/* The page goes to pvcore either way: freed now, or once the grantee lets go. */
	ended = pvcore_end_access_ref(ref);
	if (ended) {
		pvcore_release_refs(&ref, 1);
		__free_page(slot->page);
	} else {
		pvcore_end_access(ref, slot->page);
	}
	slot->ref = 0;
	slot->page = NULL;
	snprintf(pv_gst_answer, sizeof(pv_gst_answer), "end ref=%u %s\n", ref,
		 ended ? "ok" : "deferred");
}

/* One copy op through pvisor; returns its GNTST status (or GNTST_general_error on -errno). */
static s16 pv_gst_copy(u32 src_ref, unsigned long src_gfn, u32 dst_ref, unsigned long dst_gfn,
		       u16 src_off, u16 dst_off, u16 len)
{
	struct gnttab_copy op = { .len = len };

	op.source.domid = DOMID_SELF;
	op.source.offset = src_off;
	op.dest.domid = DOMID_SELF;
	op.dest.offset = dst_off;
	if (src_ref) {
		op.source.u.ref = src_ref;
		op.flags |= GNTCOPY_source_gref;
	} else {
		op.source.u.gmfn = src_gfn;
	}
	if (dst_ref) {
		op.dest.u.ref = dst_ref;
		op.flags |= GNTCOPY_dest_gref;
	} else {
		op.dest.u.gmfn = dst_gfn;
	}
	if (pvcore_gnttab_copy(&op, 1))
		return GNTST_general_error;
	return op.status;
}

struct pv_gst_pages {
	struct page *rw, *ro, *scratch;
	int ref_rw, ref_ro;
};

/* The steps of "selftest"; returns NULL or what failed. */
static const char *pv_gst_steps(struct pv_gst_pages *t, u32 nr_refs)
{
	unsigned long scratch = page_to_pfn(t->scratch);
	const u8 *rw = page_address(t->rw);
	const u8 *s = page_address(t->scratch);

	if (pv_gst_copy(t->ref_ro, 0, 0, scratch, 0, 0, PAGE_SIZE) != GNTST_okay)
		return "copy from a read-only grant";
	if (pv_gst_mismatch(t->scratch, 0x33) != PAGE_SIZE)
		return "data copied from the read-only grant";
	if (pv_gst_copy(0, scratch, t->ref_rw, 0, 0, 100, 64) != GNTST_okay)
		return "copy into a writable grant";
	if (memcmp(rw + 100, s, 64) || pv_gst_byte(0x5a, 99) != rw[99] ||
	    pv_gst_byte(0x5a, 164) != rw[164])
		return "data copied into the writable grant";
	if (pv_gst_copy(0, scratch, t->ref_ro, 0, 0, 0, 8) != GNTST_general_error)
		return "write through a read-only grant not refused";
	if (pv_gst_mismatch(t->ro, 0x33) != PAGE_SIZE)
		return "read-only page changed";
	if (pv_gst_copy(t->ref_rw, 0, 0, scratch, 4000, 0, 200) != GNTST_bad_copy_arg)
		return "copy crossing the page end not refused";
	if (pv_gst_copy(nr_refs, 0, 0, scratch, 0, 0, 8) != GNTST_bad_gntref)
		return "ref beyond the table not refused";
	if (pv_gst_copy(1, 0, 0, scratch, 0, 0, 8) != GNTST_bad_gntref)
		return "reserved ref not refused";
	if (!pvcore_end_access_ref(t->ref_ro))
		return "end of an unused grant deferred";
	if (pv_gst_copy(t->ref_ro, 0, 0, scratch, 0, 0, 8) != GNTST_general_error)
		return "revoked grant not refused";
	return NULL;
}

static void pv_gst_selftest(void)
{
	struct pv_gst_pages t = { .ref_rw = -1, .ref_ro = -1 };
	struct pv_gnttab_stats st;
	const char *failed = "no memory";

	pv_gnttab_stats(&st);
	t.rw = alloc_page(GFP_KERNEL);
	t.ro = alloc_page(GFP_KERNEL);
	t.scratch = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (t.rw && t.ro && t.scratch) {
		pv_gst_fill(t.rw, 0x5a);
		pv_gst_fill(t.ro, 0x33);
		t.ref_rw = pvcore_grant_access(PV_DOMID_HOST, page_to_pfn(t.rw), false);
		t.ref_ro = pvcore_grant_access(PV_DOMID_HOST, page_to_pfn(t.ro), true);
		failed = t.ref_rw < 0 || t.ref_ro < 0 ? "grant" : pv_gst_steps(&t, st.refs);
	}
	/* Nobody else holds these grants: each ends at once and its page is freed here. */
	if (t.ref_rw >= 0)
		pvcore_end_access(t.ref_rw, t.rw);
	else if (t.rw)
		__free_page(t.rw);
	if (t.ref_ro >= 0)
		pvcore_end_access(t.ref_ro, t.ro);
	else if (t.ro)
		__free_page(t.ro);
	if (t.scratch)
		__free_page(t.scratch);
	if (failed)
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "grant selftest FAILED: %s\n",
			 failed);
	else
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "grant selftest ok\n");
}

static void pv_gst_command(char *cmd)
{
	u32 a, b;
	char mode[4];

	if (sscanf(cmd, "grant %3s %u", mode, &a) == 2 &&
	    (!strcmp(mode, "ro") || !strcmp(mode, "rw")))
		pv_gst_grant(!strcmp(mode, "ro"), a);
	else if (sscanf(cmd, "check %u %u", &a, &b) == 2)
		pv_gst_check(a, b);
	else if (sscanf(cmd, "end %u", &a) == 1)
		pv_gst_end(a);
	else if (!strcmp(strim(cmd), "selftest"))
		pv_gst_selftest();
	else
		snprintf(pv_gst_answer, sizeof(pv_gst_answer), "unknown command\n");
}

static ssize_t pv_gst_write(struct file *file, const char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	char cmd[PV_GST_CMD_MAX];

	if (len == 0 || len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	mutex_lock(&pv_gst_lock);
	pv_gst_command(cmd);
	mutex_unlock(&pv_gst_lock);
	return len;
}

static ssize_t pv_gst_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	struct pv_gnttab_stats st;
	char buf[384];
	int n;

	pv_gnttab_stats(&st);
	mutex_lock(&pv_gst_lock);
	n = scnprintf(buf, sizeof(buf),
		      "%sstats frames=%u refs=%u free=%u deferred=%u granted=%llu ended=%llu deferrals=%llu leaked=%llu\n",
		      pv_gst_answer, st.frames, st.refs, st.free, st.deferred, st.granted,
		      st.ended, st.deferrals, st.leaked);
	mutex_unlock(&pv_gst_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations pv_gst_fops = {
	.owner = THIS_MODULE,
	.write = pv_gst_write,
	.read = pv_gst_read,
	.llseek = default_llseek,
};

void pv_gnttab_selftest_init(void)
{
	debugfs_create_file("grant", 0600, pv_debugfs_dir, NULL, &pv_gst_fops);
}

/*
 * Ends what the test still holds. The file itself goes with pvcore's debugfs directory,
 * which module exit removes first (so no writer runs by now).
 */
void pv_gnttab_selftest_exit(void)
{
	unsigned int i;

	mutex_lock(&pv_gst_lock);
	for (i = 0; i < PV_GST_SLOTS; i++) {
		if (pv_gst_slots[i].ref)
			pvcore_end_access(pv_gst_slots[i].ref, pv_gst_slots[i].page);
		pv_gst_slots[i].ref = 0;
		pv_gst_slots[i].page = NULL;
	}
	mutex_unlock(&pv_gst_lock);
}
