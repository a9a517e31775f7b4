// SPDX-License-Identifier: GPL-2.0
/* ethtool.c: per-queue statistics, hardening counters included, for `ethtool -S`. */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "pvnet.h"

static const char *const pvnet_rx_names[PVNET_RX_STAT_NR] = {
	[PVNET_RX_PACKETS] = "rx_packets",
	[PVNET_RX_BYTES] = "rx_bytes",
	[PVNET_RX_DROPS] = "rx_drops",
	[PVNET_RX_ERROR_STATUS] = "rx_error_status",
	[PVNET_RX_BAD_ID] = "rx_bad_id",
	[PVNET_RX_BAD_SIZE] = "rx_bad_size",
	[PVNET_RX_BAD_FLAGS] = "rx_bad_flags",
	[PVNET_RX_BAD_EXTRA] = "rx_bad_extra",
	[PVNET_RX_TOO_MANY_SLOTS] = "rx_too_many_slots",
	[PVNET_RX_CSUM_FAIL] = "rx_csum_fail",
	[PVNET_RX_ALLOC_FAIL] = "rx_alloc_fail",
	[PVNET_RX_RING_OVERFLOW] = "rx_ring_overflow",
	[PVNET_RX_GRANT_BUSY] = "rx_grant_busy",
};

static const char *const pvnet_tx_names[PVNET_TX_STAT_NR] = {
	[PVNET_TX_PACKETS] = "tx_packets",
	[PVNET_TX_BYTES] = "tx_bytes",
	[PVNET_TX_DROPS] = "tx_drops",
	[PVNET_TX_ERRORS] = "tx_errors",
	[PVNET_TX_BUSY] = "tx_busy",
	[PVNET_TX_BAD_ID] = "tx_bad_id",
	[PVNET_TX_BAD_STATUS] = "tx_bad_status",
	[PVNET_TX_RING_OVERFLOW] = "tx_ring_overflow",
	[PVNET_TX_GRANT_BUSY] = "tx_grant_busy",
	[PVNET_TX_GRANT_FAIL] = "tx_grant_fail",
};

/* Per queue: the rx counters, the tx counters, then "broken" (0/1). */
#define PVNET_STATS_PER_QUEUE (PVNET_RX_STAT_NR + PVNET_TX_STAT_NR + 1)

/* A consistent snapshot of one queue's counters. */
void pvnet_queue_stats(struct pvnet_queue *q, u64 *rx, u64 *tx)
{
	unsigned int start, i;

	do {
		start = u64_stats_fetch_begin(&q->rx_syncp);
		for (i = 0; i < PVNET_RX_STAT_NR; i++)
			rx[i] = q->rx_stats[i];
	} while (u64_stats_fetch_retry(&q->rx_syncp, start));
	do {
		start = u64_stats_fetch_begin(&q->tx_syncp);
		for (i = 0; i < PVNET_TX_STAT_NR; i++)
			tx[i] = q->tx_stats[i];
	} while (u64_stats_fetch_retry(&q->tx_syncp, start));
}

static int pvnet_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return (int)(dev->real_num_tx_queues * PVNET_STATS_PER_QUEUE);
}

static void pvnet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	unsigned int q, i;

	if (sset != ETH_SS_STATS)
		return;
	for (q = 0; q < dev->real_num_tx_queues; q++) {
		for (i = 0; i < PVNET_RX_STAT_NR; i++)
			ethtool_sprintf(&data, "q%u_%s", q, pvnet_rx_names[i]);
		for (i = 0; i < PVNET_TX_STAT_NR; i++)
			ethtool_sprintf(&data, "q%u_%s", q, pvnet_tx_names[i]);
		ethtool_sprintf(&data, "q%u_broken", q);
	}
}

static void pvnet_get_ethtool_stats(struct net_device *dev, struct ethtool_stats *stats,
				    u64 *data)
{
	struct pvnet_info *info = netdev_priv(dev);
	unsigned int q;

	for (q = 0; q < dev->real_num_tx_queues; q++) {
		struct pvnet_queue *queue = &info->queues[q];

		pvnet_queue_stats(queue, data, data + PVNET_RX_STAT_NR);
		data += PVNET_RX_STAT_NR + PVNET_TX_STAT_NR;
		*data++ = pvnet_queue_broken(queue);
	}
}

static void pvnet_get_channels(struct net_device *dev, struct ethtool_channels *ch)
{
	struct pvnet_info *info = netdev_priv(dev);

	ch->max_combined = info->feat.max_queues ?: 1;
	ch->combined_count = dev->real_num_tx_queues;
}

const struct ethtool_ops pvnet_ethtool_ops = {
	.get_link = ethtool_op_get_link,
	.get_sset_count = pvnet_get_sset_count,
	.get_strings = pvnet_get_strings,
	.get_ethtool_stats = pvnet_get_ethtool_stats,
	.get_channels = pvnet_get_channels,
};
