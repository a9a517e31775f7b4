// SPDX-License-Identifier: GPL-2.0
/* disk.c: the gendisk: xvd-style name and minors, blk-mq tag set, queue limits from the backend. */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/module.h>

#include "pvblk.h"

static const struct block_device_operations pvblk_fops = {
	.owner = THIS_MODULE,
};

/*
 * Disk names follow Xen's virtual-device numbering: devid 51712 + 16 * n (major 202,
 * minor 16 * n) is xvd<a+n> ("xvda" for 51712, "xvdb" for 51728); the extended form
 * (1 << 28) | (n << 8) names disk n too. Partitions use the 15 minors after the disk's
 * (xvda1..xvda15) under the major register_blkdev gave "pvblk". -EINVAL for other devids
 * and for indexes past two-letter names (xvdzz).
 */
int pvblk_index_from_devid(unsigned int devid)
{
	unsigned int index;

	if ((devid >> 8) == 202 && (devid & 0xf) == 0)
		return (devid & 0xff) >> 4;
	if (!(devid & (1U << 28)) || (devid & 0xff))
		return -EINVAL;
	index = (devid >> 8) & 0xfffff;
	return index < PVBLK_MAX_DISKS ? (int)index : -EINVAL;
}

static void pvblk_disk_name(struct gendisk *gd, unsigned int index)
{
	if (index < 26)
		snprintf(gd->disk_name, DISK_NAME_LEN, "xvd%c", 'a' + index);
	else
		snprintf(gd->disk_name, DISK_NAME_LEN, "xvd%c%c", 'a' + index / 26 - 1,
			 'a' + index % 26);
}

/* Queue limits that depend on the features and geometry (first connect and reconnects). */
void pvblk_disk_apply_params(struct pvblk_info *info)
{
	struct request_queue *q = info->gd->queue;
	const struct pvblk_disk_params *p = &info->params;
	const struct pvblk_features *f = &info->feat;

	blk_queue_logical_block_size(q, p->sector_size);
	blk_queue_physical_block_size(q, p->phys_sector_size);
	/* FUA is emulated by the block layer with a flush after the write. */
	blk_queue_write_cache(q, f->flush, false);
	if (f->discard) {
		q->limits.discard_granularity = max(f->discard_granularity, p->sector_size);
		q->limits.discard_alignment = f->discard_alignment;
		blk_queue_max_discard_sectors(q, UINT_MAX >> BLKIF_SECTOR_SHIFT);
		if (f->discard_secure)
			blk_queue_max_secure_erase_sectors(q, UINT_MAX >> BLKIF_SECTOR_SHIFT);
	} else {
		blk_queue_max_discard_sectors(q, 0);
	}
	set_disk_ro(info->gd, p->read_only);
	set_capacity_and_notify(info->gd, p->sectors);
}

/* Limits fixed for the disk's life: one sg entry per granted page, sector-aligned. */
static void pvblk_disk_static_limits(struct pvblk_info *info)
{
	struct request_queue *q = info->gd->queue;

	blk_queue_max_segments(q, info->max_segs);
	blk_queue_max_hw_sectors(q, info->max_segs * (PAGE_SIZE >> BLKIF_SECTOR_SHIFT));
	blk_queue_max_segment_size(q, PAGE_SIZE);
	blk_queue_segment_boundary(q, PAGE_SIZE - 1);
	blk_queue_dma_alignment(q, BLKIF_SECTOR_SIZE - 1);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
}

static int pvblk_tag_set_init(struct pvblk_info *info)
{
	struct blk_mq_tag_set *set = &info->tag_set;
	int err;

	memset(set, 0, sizeof(*set));
	set->ops = &pvblk_mq_ops;
	set->nr_hw_queues = info->num_rings;
	/* One tag per ring slot: a tag is the request id, and the slot is always free. */
	set->queue_depth = PV_BLKIF_RING_SIZE_ORDER(info->ring_order);
	set->numa_node = NUMA_NO_NODE;
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->cmd_size = sizeof(struct pvblk_req);
	set->driver_data = info;
	err = blk_mq_alloc_tag_set(set);
	if (!err)
		info->tag_set_ready = true;
	return err;
}

/* First connect: tag set, gendisk, limits, then the disk goes live (partitions scanned). */
int pvblk_disk_create(struct pvblk_info *info)
{
	struct gendisk *gd;
	int err;

	err = pvblk_tag_set_init(info);
	if (err)
		return err;
	gd = blk_mq_alloc_disk(&info->tag_set, info);
	if (IS_ERR(gd)) {
		err = PTR_ERR(gd);
		goto free_tags;
	}
	info->gd = gd;
	gd->major = pvblk_major;
	gd->first_minor = info->index * PVBLK_MINORS;
	gd->minors = PVBLK_MINORS;
	gd->fops = &pvblk_fops;
	gd->private_data = info;
	pvblk_disk_name(gd, info->index);
	pvblk_disk_static_limits(info);
	pvblk_disk_apply_params(info);
	err = device_add_disk(&info->pvdev->dev, gd, NULL);
	if (err)
		goto put;
	return 0;
put:
	put_disk(gd);
	info->gd = NULL;
free_tags:
	blk_mq_free_tag_set(&info->tag_set);
	info->tag_set_ready = false;
	return err;
}

/* Removes the disk; queued I/O must already fail (info->dying) so del_gendisk cannot hang. */
void pvblk_disk_destroy(struct pvblk_info *info)
{
	if (info->gd) {
		del_gendisk(info->gd);
		put_disk(info->gd);
		info->gd = NULL;
	}
	if (info->tag_set_ready)
		blk_mq_free_tag_set(&info->tag_set);
	info->tag_set_ready = false;
}
