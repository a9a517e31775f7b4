// SPDX-License-Identifier: GPL-2.0
/* connect.c: the blkif store handshake: backend features and disk geometry in, rings out. */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pvblk.h"

static unsigned int pvblk_backend_uint(struct pvblk_info *info, const char *key,
				       unsigned int def)
{
	return pvbus_read_unsigned(info->pvdev->otherend, key, def);
}

/* Everything the backend offers, clamped to what the wire layout and this driver allow. */
void pvblk_read_features(struct pvblk_info *info)
{
	struct pvblk_features *f = &info->feat;
	unsigned int v;

	v = pvblk_backend_uint(info, BLKIF_KEY_MQ_MAX_QUEUES, 1);
	f->max_queues = clamp_t(unsigned int, v, 1U, PVBLK_MAX_QUEUES);
	v = pvblk_backend_uint(info, BLKIF_KEY_MAX_RING_PAGE_ORDER, 0);
	f->ring_order = min_t(unsigned int, v, PV_BLKIF_MAX_RING_PAGE_ORDER);
	v = pvblk_backend_uint(info, BLKIF_KEY_FEATURE_MAX_INDIRECT, 0);
	f->max_indirect = min_t(unsigned int, v, BLKIF_MAX_INDIRECT_SEGMENTS_LAYOUT);
	f->flush = pvblk_backend_uint(info, BLKIF_KEY_FEATURE_FLUSH, 0) == 1;
	f->discard = pvblk_backend_uint(info, BLKIF_KEY_FEATURE_DISCARD, 0) == 1;
	f->discard_secure = f->discard &&
			    pvblk_backend_uint(info, BLKIF_KEY_DISCARD_SECURE, 0) == 1;
	f->persistent = pvblk_backend_uint(info, BLKIF_KEY_FEATURE_PERSISTENT, 0) == 1;
	v = pvblk_backend_uint(info, BLKIF_KEY_DISCARD_GRANULARITY, 0);
	/* The block layer rounds with it: a power of two, at most 64 MiB, or 0 (sector size). */
	f->discard_granularity = is_power_of_2(v) && v <= SZ_64M ? v : 0;
	v = pvblk_backend_uint(info, BLKIF_KEY_DISCARD_ALIGNMENT, 0);
	f->discard_alignment = f->discard_granularity ? v % f->discard_granularity : 0;
}

static bool pvblk_valid_sector_size(unsigned int size)
{
	return size >= BLKIF_SECTOR_SIZE && size <= PAGE_SIZE && is_power_of_2(size);
}

static bool pvblk_read_only_mode(struct pvblk_info *info)
{
	char *mode = pvbus_read(PVBUS_TXN_NONE, info->pvdev->otherend, BLKIF_KEY_MODE, NULL);
	bool ro = false;

	if (!IS_ERR(mode)) {
		ro = strcmp(mode, "r") == 0;
		kfree(mode);
	}
	return ro;
}

/*
 * The disk the backend serves. Untrusted: sizes are checked here, once, before the block
 * layer sees them (a bad logical size would make it BUG). 0 or -EINVAL.
 */
int pvblk_read_disk_params(struct pvblk_info *info)
{
	struct pvblk_disk_params *p = &info->params;
	unsigned long long sectors;
	unsigned int info_bits;
	int n;

	n = pvbus_scanf(PVBUS_TXN_NONE, info->pvdev->otherend, BLKIF_KEY_SECTORS, "%llu",
			&sectors);
	if (n != 1)
		return n < 0 ? n : -EINVAL;
	p->sector_size = pvblk_backend_uint(info, BLKIF_KEY_SECTOR_SIZE, BLKIF_SECTOR_SIZE);
	p->phys_sector_size = pvblk_backend_uint(info, BLKIF_KEY_PHYS_SECTOR_SIZE, p->sector_size);
	if (!pvblk_valid_sector_size(p->sector_size))
		return -EINVAL;
	if (!is_power_of_2(p->phys_sector_size) || p->phys_sector_size < p->sector_size)
		p->phys_sector_size = p->sector_size;
	/* sectors is in 512-byte units; keep the disk a whole number of logical blocks. */
	p->sectors = round_down((u64)sectors, p->sector_size >> BLKIF_SECTOR_SHIFT);
	info_bits = pvblk_backend_uint(info, BLKIF_KEY_INFO, 0);
	p->read_only = (info_bits & VDISK_READONLY) || pvblk_read_only_mode(info);
	return 0;
}

/* One ring's keys: top-level with one queue, under queue-<i>/ with several. */
static int pvblk_write_ring(struct pvbus_transaction t, struct pvblk_ring *ring, bool multi)
{
	const char *dir = ring->info->pvdev->nodename;
	char prefix[16] = "";
	char node[48];
	unsigned int i;
	int err = 0;

	if (multi)
		snprintf(prefix, sizeof(prefix), "queue-%u/", ring->id);
	if (ring->nr_pages == 1) {
		snprintf(node, sizeof(node), "%s" BLKIF_KEY_RING_REF, prefix);
		err = pvbus_printf(t, dir, node, "%u", ring->grefs[0]);
	}
	for (i = 0; !err && ring->nr_pages > 1 && i < ring->nr_pages; i++) {
		snprintf(node, sizeof(node), "%s" BLKIF_KEY_RING_REF "%u", prefix, i);
		err = pvbus_printf(t, dir, node, "%u", ring->grefs[i]);
	}
	snprintf(node, sizeof(node), "%s" BLKIF_KEY_EVENT_CHANNEL, prefix);
	return err ?: pvbus_printf(t, dir, node, "%u", ring->evtchn);
}

static int pvblk_write_keys(struct pvbus_transaction t, void *arg)
{
	struct pvblk_info *info = arg;
	const char *dir = info->pvdev->nodename;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < info->num_rings; i++)
		err = pvblk_write_ring(t, &info->rings[i], info->num_rings > 1);
	if (!err && info->ring_order > 0)
		err = pvbus_printf(t, dir, BLKIF_KEY_RING_PAGE_ORDER, "%u", info->ring_order);
	if (!err && info->num_rings > 1)
		err = pvbus_printf(t, dir, BLKIF_KEY_MQ_NUM_QUEUES, "%u", info->num_rings);
	err = err ?: pvbus_write(t, dir, BLKIF_KEY_PROTOCOL, BLKIF_PROTOCOL_X86_64);
	/* Used only when the backend offers it too (info->persistent). */
	return err ?: pvbus_write(t, dir, BLKIF_KEY_FEATURE_PERSISTENT, "1");
}

/* Publishes every ring in one transaction, redone while another change conflicts. */
int pvblk_publish(struct pvblk_info *info)
{
	return pvbus_transact(pvblk_write_keys, info);
}
