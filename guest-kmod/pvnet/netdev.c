// SPDX-License-Identifier: GPL-2.0
/* netdev.c: the net_device: open/stop, NAPI poll, MTU and offload features, 64-bit stats. */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <net/tcp.h>

#include "pvnet.h"

/* Serves both rings of one queue: tx completions first (they free ring space), then rx. */
int pvnet_poll(struct napi_struct *napi, int budget)
{
	struct pvnet_queue *q = container_of(napi, struct pvnet_queue, napi);
	int done = 0, more;

	if (!pvnet_queue_broken(q))
		pvnet_tx_complete(q);
	if (!pvnet_queue_broken(q))
		done = pvnet_rx_poll(q, budget);
	if (done >= budget)
		return budget;
	if (!napi_complete_done(napi, done) || pvnet_queue_broken(q))
		return done;
	/* Arms rsp_event and looks again: a response published meanwhile re-polls. */
	more = pv_front_final_check_for_responses(&q->rx);
	if (more < 0)
		pvnet_queue_break(q, "rx response producer overflow");
	else if (more > 0)
		napi_schedule(napi);
	return done;
}

static int pvnet_open(struct net_device *dev)
{
	struct pvnet_info *info = netdev_priv(dev);
	unsigned int i;

	for (i = 0; i < info->num_queues; i++) {
		napi_enable(&info->queues[i].napi);
		napi_schedule(&info->queues[i].napi); /* picks up what came while down */
	}
	netif_tx_start_all_queues(dev);
	return 0;
}

static int pvnet_stop(struct net_device *dev)
{
	struct pvnet_info *info = netdev_priv(dev);
	unsigned int i;

	netif_tx_stop_all_queues(dev);
	for (i = 0; i < info->num_queues; i++)
		napi_disable(&info->queues[i].napi);
	return 0;
}

/* Offloads the backend cannot take are never offered; SG stays on while the MTU needs it. */
static netdev_features_t pvnet_fix_features(struct net_device *dev, netdev_features_t features)
{
	struct pvnet_info *info = netdev_priv(dev);

	if (!info->feat.sg)
		features &= ~NETIF_F_SG;
	else if (dev->mtu > ETH_DATA_LEN)
		features |= NETIF_F_SG;
	if (!info->feat.ipv6_csum)
		features &= ~NETIF_F_IPV6_CSUM;
	if (!info->feat.gso_tcpv4 || !(features & NETIF_F_SG))
		features &= ~NETIF_F_TSO;
	if (!info->feat.gso_tcpv6 || !(features & NETIF_F_SG))
		features &= ~NETIF_F_TSO6;
	return features;
}

static int pvnet_change_mtu(struct net_device *dev, int mtu)
{
	/* Without scatter-gather a packet must fit one page slot chain of one slot. */
	if (mtu > ETH_DATA_LEN && !(dev->features & NETIF_F_SG))
		return -EINVAL;
	dev->mtu = mtu;
	return 0;
}

static void pvnet_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *st)
{
	struct pvnet_info *info = netdev_priv(dev);
	u64 rx[PVNET_RX_STAT_NR], tx[PVNET_TX_STAT_NR];
	unsigned int i;

	for (i = 0; i < READ_ONCE(info->num_queues); i++) {
		pvnet_queue_stats(&info->queues[i], rx, tx);
		st->rx_packets += rx[PVNET_RX_PACKETS];
		st->rx_bytes += rx[PVNET_RX_BYTES];
		st->rx_dropped += rx[PVNET_RX_DROPS];
		st->tx_packets += tx[PVNET_TX_PACKETS];
		st->tx_bytes += tx[PVNET_TX_BYTES];
		st->tx_dropped += tx[PVNET_TX_DROPS];
		st->tx_errors += tx[PVNET_TX_ERRORS];
	}
}

static const struct net_device_ops pvnet_netdev_ops = {
	.ndo_open = pvnet_open,
	.ndo_stop = pvnet_stop,
	.ndo_start_xmit = pvnet_start_xmit,
	.ndo_change_mtu = pvnet_change_mtu,
	.ndo_fix_features = pvnet_fix_features,
	.ndo_get_stats64 = pvnet_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* After a connect read the backend's features (rtnl held): MTU bound and offloads. */
void pvnet_apply_features(struct pvnet_info *info)
{
	struct net_device *dev = info->netdev;

	dev->max_mtu = info->feat.sg ? XEN_NETIF_MAX_TX_SIZE - ETH_HLEN : ETH_DATA_LEN;
	if (dev->mtu > dev->max_mtu)
		dev_set_mtu(dev, (int)dev->max_mtu);
	netdev_update_features(dev);
}

/* A netdev (unregistered, carrier off) for @pvdev; features stay off until connect. */
struct net_device *pvnet_netdev_create(struct pvbus_device *pvdev)
{
	struct net_device *dev;
	struct pvnet_info *info;
	unsigned int i;

	dev = alloc_etherdev_mq(sizeof(*info), PV_NETIF_MAX_QUEUES);
	if (!dev)
		return NULL;
	info = netdev_priv(dev);
	info->netdev = dev;
	info->pvdev = pvdev;
	for (i = 0; i < PV_NETIF_MAX_QUEUES; i++) {
		spin_lock_init(&info->queues[i].tx_lock);
		u64_stats_init(&info->queues[i].rx_syncp);
		u64_stats_init(&info->queues[i].tx_syncp);
	}
	dev->netdev_ops = &pvnet_netdev_ops;
	dev->ethtool_ops = &pvnet_ethtool_ops;
	dev->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM | NETIF_F_TSO |
			   NETIF_F_TSO6;
	/* Wanted at registration; pvnet_fix_features trims what the backend lacks. */
	dev->features = dev->hw_features | NETIF_F_RXCSUM | NETIF_F_GSO_ROBUST;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_DATA_LEN;
	/* Slot 0's size field is 16 bits: the whole frame, headers included, must fit. */
	netif_set_tso_max_size(dev, XEN_NETIF_MAX_TX_SIZE - MAX_TCP_HEADER);
	SET_NETDEV_DEV(dev, &pvdev->dev);
	eth_hw_addr_random(dev);
	netif_carrier_off(dev);
	return dev;
}
