// SPDX-License-Identifier: GPL-2.0
/*
 * main.c: pvnet.ko, the netif frontend: the pvbus "vif" driver and its connection states.
 * The carrier follows the backend: Connected -> on; Closing/Closed -> off; a restarted
 * backend (InitWait again) gets fresh rings through pvbus's reconnect hook.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "pvcore.h"
#include "pvnet.h"

unsigned int pvnet_max_queues = PV_NETIF_MAX_QUEUES;
module_param_named(max_queues, pvnet_max_queues, uint, 0644);
MODULE_PARM_DESC(max_queues, "Most queues per interface (also bounded by vCPUs and backend)");

static struct pvnet_info *pvnet_info_of(struct pvbus_device *pvdev)
{
	return dev_get_drvdata(&pvdev->dev);
}

/* The backend is Connected: carrier on, and a kick so it sees the rx buffers posted. */
static void pvnet_backend_connected(struct pvnet_info *info)
{
	struct net_device *dev = info->netdev;
	unsigned int i;
	bool broken = false;

	rtnl_lock();
	for (i = 0; i < info->num_queues; i++) {
		broken |= pvnet_queue_broken(&info->queues[i]);
		pvcore_notify_remote(info->queues[i].evtchn);
	}
	if (info->num_queues && !broken) {
		info->connected = true;
		netif_carrier_on(dev);
		if (netif_running(dev))
			netif_tx_wake_all_queues(dev);
	}
	rtnl_unlock();
}

static void pvnet_connect_or_fail(struct pvbus_device *pvdev, struct pvnet_info *info)
{
	int err = pvnet_connect(info);

	if (err)
		pvbus_dev_fatal(pvdev, err, "connecting the vif");
}

static void pvnet_otherend_changed(struct pvbus_device *pvdev, int backend_state)
{
	struct pvnet_info *info = pvnet_info_of(pvdev);

	switch (backend_state) {
	case XenbusStateInitWait:
		if (pvdev->state == XenbusStateInitialising)
			pvnet_connect_or_fail(pvdev, info);
		break;
	case XenbusStateConnected:
		/* A frontend that missed InitWait connects now (netfront does the same). */
		if (pvdev->state == XenbusStateInitialising)
			pvnet_connect_or_fail(pvdev, info);
		if (pvdev->state == XenbusStateConnected)
			pvnet_backend_connected(info);
		break;
	case XenbusStateClosing:
		/* The backend stops serving: no carrier, and we close our side. */
		netif_carrier_off(info->netdev);
		info->connected = false;
		if (pvdev->state != XenbusStateClosed)
			pvbus_switch_state(pvdev, XenbusStateClosing);
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		/* The backend no longer maps our rings: free them and wait for a reconnect. */
		pvnet_disconnect(info);
		if (pvdev->state == XenbusStateClosing || backend_state == XenbusStateClosed)
			pvbus_switch_state(pvdev, XenbusStateClosed);
		break;
	default:
		break;
	}
}

/* The backend restarted (InitWait while we were Connected or Closed): redo the handshake. */
static int pvnet_reconnect(struct pvbus_device *pvdev)
{
	struct pvnet_info *info = pvnet_info_of(pvdev);

	netdev_info(info->netdev, "backend restarted: reconnecting\n");
	pvnet_disconnect(info);
	return pvnet_connect(info);
}

static int pvnet_probe(struct pvbus_device *pvdev, const struct pvbus_device_id *id)
{
	struct net_device *dev;
	int err;

	dev = pvnet_netdev_create(pvdev);
	if (!dev)
		return -ENOMEM;
	dev_set_drvdata(&pvdev->dev, netdev_priv(dev));
	err = register_netdev(dev);
	if (err) {
		dev_set_drvdata(&pvdev->dev, NULL);
		free_netdev(dev);
		return err;
	}
	netdev_info(dev, "pvnet frontend for %s (backend %s)\n", pvdev->nodename, pvdev->otherend);
	return 0;
}

/*
 * Graceful close before the rings go: Closing, then up to 5 s (polled: pvbus no longer
 * watches the backend during remove) for the backend to unmap and reach Closing/Closed.
 * Pages it still maps after that are leaked and counted, never freed under it.
 */
static void pvnet_close_backend(struct pvbus_device *pvdev)
{
	unsigned int waited;
	int state;

	if (pvbus_switch_state(pvdev, XenbusStateClosing))
		return;
	for (waited = 0; waited < 5000; waited += 50) {
		state = pvbus_read_otherend_state(pvdev);
		if (state == XenbusStateClosing || state == XenbusStateClosed ||
		    state == XenbusStateUnknown)
			return;
		msleep(50);
	}
	dev_warn(&pvdev->dev, "backend did not close within 5 s\n");
}

static void pvnet_remove(struct pvbus_device *pvdev)
{
	struct pvnet_info *info = pvnet_info_of(pvdev);
	struct net_device *dev = info->netdev;

	unregister_netdev(dev); /* stops the device: no xmit, NAPI disabled */
	if (info->num_queues)
		pvnet_close_backend(pvdev);
	pvnet_disconnect(info);
	dev_set_drvdata(&pvdev->dev, NULL);
	free_netdev(dev);
}

static const struct pvbus_device_id pvnet_ids[] = {
	{ "vif" },
	{ "" },
};

static struct pvbus_driver pvnet_driver = {
	.name = "pvnet",
	.ids = pvnet_ids,
	.probe = pvnet_probe,
	.otherend_changed = pvnet_otherend_changed,
	.remove = pvnet_remove,
	.reconnect = pvnet_reconnect,
};

static int __init pvnet_init(void)
{
	if (pvnet_max_queues == 0 || pvnet_max_queues > PV_NETIF_MAX_QUEUES)
		pvnet_max_queues = PV_NETIF_MAX_QUEUES;
	return pvbus_register_driver(&pvnet_driver);
}

static void __exit pvnet_exit(void)
{
	pvbus_unregister_driver(&pvnet_driver);
}

module_init(pvnet_init);
module_exit(pvnet_exit);
MODULE_DESCRIPTION("pvisor netif network frontend");
MODULE_LICENSE("GPL");
