// SPDX-License-Identifier: GPL-2.0
/* connect.c: the netif store handshake: backend features and MAC in, rings and channels out. */
#include <linux/cpumask.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "pvnet.h"

static bool pvnet_backend_flag(struct pvnet_info *info, const char *key)
{
	return pvbus_read_unsigned(info->pvdev->otherend, key, 0) == 1;
}

static void pvnet_read_features(struct pvnet_info *info)
{
	struct pvnet_backend_features *f = &info->feat;
	unsigned int mq;

	f->sg = pvnet_backend_flag(info, NETIF_KEY_FEATURE_SG);
	f->gso_tcpv4 = f->sg && pvnet_backend_flag(info, NETIF_KEY_FEATURE_GSO_TCPV4);
	f->gso_tcpv6 = f->sg && pvnet_backend_flag(info, NETIF_KEY_FEATURE_GSO_TCPV6);
	f->ipv6_csum = pvnet_backend_flag(info, NETIF_KEY_FEATURE_IPV6_CSUM);
	f->rx_copy = pvnet_backend_flag(info, NETIF_KEY_FEATURE_RX_COPY);
	mq = pvbus_read_unsigned(info->pvdev->otherend, NETIF_KEY_MQ_MAX_QUEUES, 1);
	f->max_queues = clamp_t(unsigned int, mq, 1U, PV_NETIF_MAX_QUEUES);
}

/* The MAC from the backend's "mac" node ("xx:xx:xx:xx:xx:xx", unicast). Caller holds rtnl. */
static int pvnet_read_mac(struct pvnet_info *info)
{
	u8 addr[ETH_ALEN];
	char *mac;
	int err = 0;

	mac = pvbus_read(PVBUS_TXN_NONE, info->pvdev->otherend, NETIF_KEY_MAC, NULL);
	if (IS_ERR(mac))
		return PTR_ERR(mac);
	if (strlen(mac) != 17 || !mac_pton(mac, addr) || !is_valid_ether_addr(addr))
		err = -EINVAL;
	else if (!ether_addr_equal(info->netdev->dev_addr, addr))
		eth_hw_addr_set(info->netdev, addr);
	kfree(mac);
	return err;
}

/* One queue's keys: top-level with one queue, under queue-<i>/ with several. */
static int pvnet_write_queue(struct pvbus_transaction t, struct pvnet_queue *q, bool multi)
{
	const char *dir = q->info->pvdev->nodename;
	char prefix[16] = "";
	char node[48];
	int err;

	if (multi)
		snprintf(prefix, sizeof(prefix), "queue-%u/", q->id);
	snprintf(node, sizeof(node), "%s" NETIF_KEY_TX_RING_REF, prefix);
	err = pvbus_printf(t, dir, node, "%u", q->tx_ring_ref);
	snprintf(node, sizeof(node), "%s" NETIF_KEY_RX_RING_REF, prefix);
	err = err ?: pvbus_printf(t, dir, node, "%u", q->rx_ring_ref);
	snprintf(node, sizeof(node), "%s" NETIF_KEY_EVENT_CHANNEL, prefix);
	return err ?: pvbus_printf(t, dir, node, "%u", q->evtchn);
}

/* What this frontend takes on rx: everything netif defines, rx-copy only. */
static const char *const pvnet_front_flags[] = {
	NETIF_KEY_REQUEST_RX_COPY, NETIF_KEY_FEATURE_RX_NOTIFY, NETIF_KEY_FEATURE_SG,
	NETIF_KEY_FEATURE_GSO_TCPV4, NETIF_KEY_FEATURE_GSO_TCPV6, NETIF_KEY_FEATURE_IPV6_CSUM,
};

static int pvnet_write_keys(struct pvbus_transaction t, void *arg)
{
	struct pvnet_info *info = arg;
	const char *dir = info->pvdev->nodename;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < info->num_queues; i++)
		err = pvnet_write_queue(t, &info->queues[i], info->num_queues > 1);
	if (!err && info->num_queues > 1)
		err = pvbus_printf(t, dir, NETIF_KEY_MQ_NUM_QUEUES, "%u", info->num_queues);
	for (i = 0; !err && i < ARRAY_SIZE(pvnet_front_flags); i++)
		err = pvbus_write(t, dir, pvnet_front_flags[i], "1");
	return err ?: pvbus_write(t, dir, NETIF_KEY_FEATURE_NO_CSUM, "0");
}

/* Publishes every queue in one transaction, redone while another change conflicts. */
static int pvnet_publish(struct pvnet_info *info)
{
	return pvbus_transact(pvnet_write_keys, info);
}

static int pvnet_setup_queues(struct pvnet_info *info, unsigned int num)
{
	struct net_device *dev = info->netdev;
	unsigned int i;
	int err;

	for (i = 0; i < num; i++) {
		err = pvnet_queue_setup(info, i);
		/* Each queue claims about 514 grant refs: with the table short, use fewer. */
		if (err == -ENOSPC && i > 0) {
			netdev_warn(dev, "grant refs for %u of %u queues only\n", i, num);
			num = i;
			err = 0;
			break;
		}
		if (err)
			goto undo;
	}
	err = netif_set_real_num_tx_queues(dev, num);
	err = err ?: netif_set_real_num_rx_queues(dev, num);
	if (err)
		goto undo;
	WRITE_ONCE(info->num_queues, num);
	return 0;
undo:
	while (i--)
		pvnet_queue_teardown(&info->queues[i]);
	return err;
}

/*
 * The backend is in InitWait: read what it offers, set every queue up, publish, and switch
 * to Connected. Runs on pvbus's watch thread; takes rtnl for the queue changes.
 */
int pvnet_connect(struct pvnet_info *info)
{
	unsigned int num;
	int err;

	pvnet_read_features(info);
	if (!info->feat.rx_copy)
		return -EOPNOTSUPP; /* rx flipping is obsolete and not implemented */
	num = min3(info->feat.max_queues, num_online_cpus(), pvnet_max_queues);
	num = max(num, 1U);

	rtnl_lock();
	err = pvnet_read_mac(info);
	if (!err)
		err = pvnet_setup_queues(info, num);
	if (!err)
		pvnet_apply_features(info);
	rtnl_unlock();
	if (err)
		return err;

	err = pvnet_publish(info);
	if (!err)
		err = pvbus_switch_state(info->pvdev, XenbusStateConnected);
	if (err)
		pvnet_disconnect(info);
	return err;
}

/* Carrier off and every queue torn down; idempotent. Takes rtnl. */
void pvnet_disconnect(struct pvnet_info *info)
{
	struct net_device *dev = info->netdev;
	unsigned int i, num;

	rtnl_lock();
	info->connected = false;
	netif_carrier_off(dev);
	netif_tx_disable(dev); /* no xmit runs or starts on any queue past this */
	num = info->num_queues;
	WRITE_ONCE(info->num_queues, 0);
	for (i = 0; i < num; i++)
		pvnet_queue_teardown(&info->queues[i]);
	rtnl_unlock();
}
