// SPDX-License-Identifier: GPL-2.0
/*
 * main.c: pvblk.ko, the blkif block frontend: the pvbus "vbd" driver and its connection states.
 * Backend InitWait -> rings set up and published, frontend Initialised; backend Connected ->
 * disk live, frontend Connected. Backend Closing/Closed -> queue quiesced, rings dropped,
 * requests kept; a restarted backend (InitWait again, pvbus's reconnect hook) gets fresh
 * rings and the kept requests are sent again.
 */
#include <linux/blkdev.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pvblk.h"
#include "pvcore.h"

unsigned int pvblk_max_queues = PVBLK_MAX_QUEUES;
module_param_named(max_queues, pvblk_max_queues, uint, 0444);
MODULE_PARM_DESC(max_queues, "Most rings per disk (also bounded by vCPUs and the backend)");

unsigned int pvblk_max_ring_order = 2;
module_param_named(max_ring_page_order, pvblk_max_ring_order, uint, 0444);
MODULE_PARM_DESC(max_ring_page_order, "Largest ring (2^order pages) to ask for");

unsigned int pvblk_max_indirect = PVBLK_MAX_INDIRECT_SEGS;
module_param_named(max_indirect_segments, pvblk_max_indirect, uint, 0444);
MODULE_PARM_DESC(max_indirect_segments, "Segments per indirect request (0: no indirect)");

int pvblk_major;
static DEFINE_IDA(pvblk_index_ida);

static struct pvblk_info *pvblk_info_of(struct pvbus_device *pvdev)
{
	return dev_get_drvdata(&pvdev->dev);
}

/* Ring geometry for the first connect: what both sides allow. */
static void pvblk_choose_geometry(struct pvblk_info *info)
{
	const struct pvblk_features *f = &info->feat;
	unsigned int n;

	n = min3(f->max_queues, num_online_cpus(), pvblk_max_queues);
	info->num_rings = max(n, 1U);
	info->ring_order = min(f->ring_order, pvblk_max_ring_order);
	n = min(f->max_indirect, pvblk_max_indirect);
	info->max_segs = n > BLKIF_MAX_SEGMENTS_PER_REQUEST ? n : BLKIF_MAX_SEGMENTS_PER_REQUEST;
}

/* A reconnect keeps the tag set: the new backend must offer at least as much. */
static int pvblk_check_geometry(struct pvblk_info *info)
{
	const struct pvblk_features *f = &info->feat;

	if (f->max_queues >= info->num_rings && f->ring_order >= info->ring_order &&
	    (info->max_segs == BLKIF_MAX_SEGMENTS_PER_REQUEST || f->max_indirect >= info->max_segs))
		return 0;
	dev_err(&info->pvdev->dev, "restarted backend offers less (queues %u, order %u, indirect %u)\n",
		f->max_queues, f->ring_order, f->max_indirect);
	return -EOPNOTSUPP;
}

/* Quiesces the queue and drops every ring; outstanding requests are requeued or failed. */
static void pvblk_disconnect(struct pvblk_info *info, bool requeue)
{
	unsigned int i;

	if (info->gd && !info->quiesced) {
		blk_mq_quiesce_queue(info->gd->queue); /* waits for running queue_rq calls */
		info->quiesced = true;
	}
	for (i = 0; i < info->num_rings; i++)
		pvblk_ring_teardown(&info->rings[i], requeue);
}

/* Backend InitWait: rings set up and published in one transaction, frontend Initialised. */
static int pvblk_setup(struct pvblk_info *info)
{
	unsigned int i;
	int err;

	pvblk_read_features(info);
	if (info->tag_set_ready) {
		err = pvblk_check_geometry(info);
		if (err)
			return err;
	} else {
		pvblk_choose_geometry(info);
	}
	info->persistent = info->feat.persistent;
	for (i = 0; i < info->num_rings; i++) {
		err = pvblk_ring_setup(info, i);
		if (err)
			goto undo;
	}
	err = pvblk_publish(info);
	err = err ?: pvbus_switch_state(info->pvdev, XenbusStateInitialised);
	if (err)
		goto undo;
	return 0;
undo:
	while (i--)
		pvblk_ring_teardown(&info->rings[i], true);
	return err;
}

/* Backend Connected: the disk appears (first time) or resumes with the kept requests. */
static int pvblk_go_live(struct pvblk_info *info)
{
	unsigned int old_size = info->params.sector_size;
	unsigned int i;
	int err;

	err = pvblk_read_disk_params(info);
	if (err)
		return err;
	if (info->gd && info->params.sector_size != old_size) {
		pvblk_mark_broken(info, "sector size changed across a reconnect", 0);
		return -EINVAL;
	}
	err = pvbus_switch_state(info->pvdev, XenbusStateConnected);
	if (err)
		return err;
	for (i = 0; i < info->num_rings; i++)
		pvcore_notify_remote(info->rings[i].evtchn);
	if (!info->gd) {
		err = pvblk_disk_create(info);
		if (!err)
			dev_info(&info->pvdev->dev, "%s: %llu sectors, %u queues, ring order %u, %u segments%s%s%s\n",
				 info->gd->disk_name, info->params.sectors, info->num_rings,
				 info->ring_order, info->max_segs, info->feat.flush ? ", flush" : "",
				 info->feat.discard ? ", discard" : "",
				 info->params.read_only ? ", read-only" : "");
		return err;
	}
	pvblk_disk_apply_params(info);
	if (info->quiesced) {
		info->quiesced = false;
		blk_mq_unquiesce_queue(info->gd->queue);
	}
	blk_mq_kick_requeue_list(info->gd->queue);
	dev_info(&info->pvdev->dev, "%s: backend reconnected\n", info->gd->disk_name);
	return 0;
}

static void pvblk_fail(struct pvbus_device *pvdev, int err, const char *what)
{
	if (err)
		pvbus_dev_fatal(pvdev, err, "%s", what);
}

static void pvblk_otherend_changed(struct pvbus_device *pvdev, int backend_state)
{
	struct pvblk_info *info = pvblk_info_of(pvdev);

	mutex_lock(&info->lock);
	switch (backend_state) {
	case XenbusStateInitWait:
		/*
		 * A backend back from Closing before we reached Closed (pvbus's reconnect hook
		 * covers Connected and Closed): start over the same way.
		 */
		if (pvdev->state == XenbusStateClosing) {
			pvblk_disconnect(info, true);
			pvbus_switch_state(pvdev, XenbusStateInitialising);
		}
		if (pvdev->state == XenbusStateInitialising)
			pvblk_fail(pvdev, pvblk_setup(info), "setting up the vbd rings");
		break;
	case XenbusStateConnected:
		/* A frontend that missed InitWait sets up now; then both are connected. */
		if (pvdev->state == XenbusStateInitialising)
			pvblk_fail(pvdev, pvblk_setup(info), "setting up the vbd rings");
		if (pvdev->state == XenbusStateInitialised)
			pvblk_fail(pvdev, pvblk_go_live(info), "connecting the vbd");
		break;
	case XenbusStateClosing:
		/* The backend stops serving: keep the requests for a restarted backend. */
		pvblk_disconnect(info, true);
		if (pvdev->state != XenbusStateClosed)
			pvbus_switch_state(pvdev, XenbusStateClosing);
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		pvblk_disconnect(info, true);
		if (pvdev->state == XenbusStateClosing || backend_state == XenbusStateClosed)
			pvbus_switch_state(pvdev, XenbusStateClosed);
		break;
	default:
		break;
	}
	mutex_unlock(&info->lock);
}

/* The backend restarted (InitWait while we were Connected or Closed): redo the handshake. */
static int pvblk_reconnect(struct pvbus_device *pvdev)
{
	struct pvblk_info *info = pvblk_info_of(pvdev);
	int err;

	dev_info(&pvdev->dev, "backend restarted: reconnecting\n");
	mutex_lock(&info->lock);
	pvblk_disconnect(info, true);
	err = pvblk_setup(info);
	mutex_unlock(&info->lock);
	return err;
}

/* "device/vbd/51712" -> 51712. */
static int pvblk_parse_devid(const char *nodename, unsigned int *devid)
{
	const char *slash = strrchr(nodename, '/');

	return kstrtouint(slash ? slash + 1 : nodename, 10, devid);
}

static int pvblk_probe(struct pvbus_device *pvdev, const struct pvbus_device_id *id)
{
	struct pvblk_info *info;
	unsigned int i;
	int index, err;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	info->pvdev = pvdev;
	err = pvblk_parse_devid(pvdev->nodename, &info->devid);
	index = err ? err : pvblk_index_from_devid(info->devid);
	if (index < 0) {
		dev_err(&pvdev->dev, "unsupported virtual-device %s\n", pvdev->nodename);
		kfree(info);
		return -EINVAL;
	}
	/* Two devids naming one xvd index would share minors: the second is refused. */
	err = ida_alloc_range(&pvblk_index_ida, index, index, GFP_KERNEL);
	if (err < 0) {
		kfree(info);
		return err == -ENOSPC ? -EEXIST : err;
	}
	info->index = index;
	mutex_init(&info->lock);
	for (i = 0; i < PVBLK_MAX_QUEUES; i++) {
		spin_lock_init(&info->rings[i].lock);
		spin_lock_init(&info->rings[i].pool_lock);
		INIT_LIST_HEAD(&info->rings[i].pool);
	}
	INIT_WORK(&info->broken_work, pvblk_broken_work);
	dev_set_drvdata(&pvdev->dev, info);
	return 0;
}

/*
 * Unplug or module unload: I/O fails from here on (dying), outstanding requests too, so
 * del_gendisk's writeback cannot wait for a backend.
 */
static void pvblk_remove(struct pvbus_device *pvdev)
{
	struct pvblk_info *info = pvblk_info_of(pvdev);

	set_bit(0, &info->dying);
	mutex_lock(&info->lock);
	pvblk_disconnect(info, false);
	if (info->gd && info->quiesced) {
		info->quiesced = false;
		blk_mq_unquiesce_queue(info->gd->queue);
		blk_mq_kick_requeue_list(info->gd->queue);
	}
	mutex_unlock(&info->lock);
	cancel_work_sync(&info->broken_work);
	pvblk_disk_destroy(info);
	ida_free(&pvblk_index_ida, info->index);
	dev_set_drvdata(&pvdev->dev, NULL);
	kfree(info);
}

static const struct pvbus_device_id pvblk_ids[] = {
	{ "vbd" },
	{ "" },
};

static struct pvbus_driver pvblk_driver = {
	.name = "pvblk",
	.ids = pvblk_ids,
	.probe = pvblk_probe,
	.otherend_changed = pvblk_otherend_changed,
	.remove = pvblk_remove,
	.reconnect = pvblk_reconnect,
};

static int __init pvblk_init(void)
{
	int err;

	pvblk_max_queues = clamp(pvblk_max_queues, 1U, PVBLK_MAX_QUEUES);
	pvblk_max_ring_order = min(pvblk_max_ring_order, PV_BLKIF_MAX_RING_PAGE_ORDER);
	pvblk_max_indirect = min(pvblk_max_indirect, PVBLK_MAX_INDIRECT_SEGS);
	pvblk_major = register_blkdev(0, "pvblk");
	if (pvblk_major < 0)
		return pvblk_major;
	err = pvbus_register_driver(&pvblk_driver);
	if (err)
		unregister_blkdev(pvblk_major, "pvblk");
	return err;
}

static void __exit pvblk_exit(void)
{
	pvbus_unregister_driver(&pvblk_driver);
	unregister_blkdev(pvblk_major, "pvblk");
	ida_destroy(&pvblk_index_ida);
}

module_init(pvblk_init);
module_exit(pvblk_exit);
MODULE_DESCRIPTION("pvisor blkif block frontend");
MODULE_LICENSE("GPL");
