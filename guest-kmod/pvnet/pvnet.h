/* SPDX-License-Identifier: GPL-2.0 */
/* pvnet.h: the netif frontend's shared state: device, queues, counters, and the file split. */
#ifndef PVNET_H
#define PVNET_H

#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <pv/netif.h>
#include <pv/ring_ops.h>

#include "pvbus.h"

#define PVNET_TX_RING_SIZE PV_NETIF_TX_RING_SIZE
#define PVNET_RX_RING_SIZE PV_NETIF_RX_RING_SIZE
/* Ring slots one transmitted packet may take: the data slots plus one GSO extra. */
#define PVNET_TX_MAX_SLOTS (XEN_NETIF_NR_SLOTS_MIN + 1U)
/* Bytes of a received packet copied into the skb's linear area (headers for the stack). */
#define PVNET_RX_PULL 128U
/* Refill the rx ring once this many slots are free (batches the notification). */
#define PVNET_RX_REFILL_BATCH 32U

/* Counters written only by the queue's NAPI poll (rx side, outside tx_lock). */
enum pvnet_rx_stat {
	PVNET_RX_PACKETS,
	PVNET_RX_BYTES,
	PVNET_RX_DROPS,
	PVNET_RX_ERROR_STATUS,	/* a slot answered NETIF_RSP_ERROR (or another negative) */
	PVNET_RX_BAD_ID,	/* response id is not its slot's request id */
	PVNET_RX_BAD_SIZE,	/* empty slot, offset + size past the page, packet too long */
	PVNET_RX_BAD_FLAGS,	/* GSO without csum_blank, gso_prefix, unknown flag bits */
	PVNET_RX_BAD_EXTRA,	/* unknown/duplicate extra type, bad GSO fields */
	PVNET_RX_TOO_MANY_SLOTS, /* a chain longer than XEN_NETIF_NR_SLOTS_MIN (breaks) */
	PVNET_RX_CSUM_FAIL,	/* csum_blank on a packet whose checksum cannot be set up */
	PVNET_RX_ALLOC_FAIL,	/* no page or skb (the packet or the refill waits) */
	PVNET_RX_RING_OVERFLOW, /* rsp_prod past the requests outstanding (breaks) */
	PVNET_RX_GRANT_BUSY,	/* backend still maps a page it answered (breaks, page leaked) */
	PVNET_RX_STAT_NR
};

/* Counters written under the queue's tx_lock (xmit and tx completion). */
enum pvnet_tx_stat {
	PVNET_TX_PACKETS,
	PVNET_TX_BYTES,
	PVNET_TX_DROPS,		/* dropped before reaching the ring */
	PVNET_TX_ERRORS,	/* backend answered NETIF_RSP_ERROR / NETIF_RSP_DROPPED */
	PVNET_TX_BUSY,		/* ring full: queue stopped */
	PVNET_TX_BAD_ID,	/* response id out of range or not outstanding (breaks) */
	PVNET_TX_BAD_STATUS,	/* status not a NETIF_RSP_* value */
	PVNET_TX_RING_OVERFLOW, /* rsp_prod past the requests outstanding (breaks) */
	PVNET_TX_GRANT_BUSY,	/* backend still maps a page it answered (breaks, skb leaked) */
	PVNET_TX_GRANT_FAIL,	/* out of grant refs (packet dropped) */
	PVNET_TX_STAT_NR
};

/* One outstanding tx data slot: the skb reference it holds and the grant of its piece. */
struct pvnet_tx_shadow {
	struct sk_buff *skb; /* one reference per data slot; NULL when the id is free */
	u32 gref;
};

/* One posted rx buffer, indexed by ring slot (the backend answers in the request's slot). */
struct pvnet_rx_buf {
	struct page *page; /* NULL when the slot holds no posted page */
	u32 gref;	   /* claimed once per queue, re-granted per posting */
	bool granted;	   /* posted: the backend may write the page */
};

struct pvnet_info;

/*
 * A queue: one tx and one rx ring sharing one event channel, served by one NAPI context.
 * The tx ring and tx_shadow/tx_free are under tx_lock; the rx ring and rx_bufs belong to
 * the NAPI poll (and to setup/teardown, which run with NAPI disabled and the irq unbound).
 */
struct pvnet_queue {
	struct pvnet_info *info;
	unsigned int id;
	char name[IFNAMSIZ + 16]; /* irq name: "<ifname>-q<id>" */
	struct napi_struct napi;
	u32 evtchn;
	int irq; /* 0 when not bound */

	spinlock_t tx_lock;
	struct pv_front_ring tx;
	void *tx_sring;
	u32 tx_ring_ref;
	struct pvnet_tx_shadow tx_shadow[PVNET_TX_RING_SIZE];
	u16 tx_free[PVNET_TX_RING_SIZE]; /* stack of free ids */
	unsigned int tx_free_count;

	struct pv_front_ring rx;
	void *rx_sring;
	u32 rx_ring_ref;
	struct pvnet_rx_buf rx_bufs[PVNET_RX_RING_SIZE];
	bool rx_refs_claimed;

	/* Set once on a protocol violation; the queue stays dead until a reconnect. */
	unsigned long broken;

	struct u64_stats_sync rx_syncp;
	u64 rx_stats[PVNET_RX_STAT_NR];
	struct u64_stats_sync tx_syncp;
	u64 tx_stats[PVNET_TX_STAT_NR];
};

/* What the backend offered (read at each connect). */
struct pvnet_backend_features {
	bool sg;
	bool gso_tcpv4;
	bool gso_tcpv6;
	bool ipv6_csum;
	bool rx_copy;
	unsigned int max_queues;
};

struct pvnet_info {
	struct net_device *netdev;
	struct pvbus_device *pvdev;
	struct pvnet_backend_features feat;
	unsigned int num_queues; /* queues set up; 0 when disconnected */
	bool connected;		 /* rings published and the frontend Connected */
	struct pvnet_queue queues[PV_NETIF_MAX_QUEUES];
};

/* main.c */
extern unsigned int pvnet_max_queues;

/* connect.c: the store handshake, under rtnl (serialised with open/stop). */
int pvnet_connect(struct pvnet_info *info);
void pvnet_disconnect(struct pvnet_info *info);

/* queue.c: one queue's rings, buffers, channel and NAPI. */
int pvnet_queue_setup(struct pvnet_info *info, unsigned int id);
void pvnet_queue_teardown(struct pvnet_queue *q);
void pvnet_queue_break(struct pvnet_queue *q, const char *why);

static inline bool pvnet_queue_broken(const struct pvnet_queue *q)
{
	return test_bit(0, &q->broken);
}

static inline void pvnet_rx_count(struct pvnet_queue *q, enum pvnet_rx_stat s, u64 n)
{
	u64_stats_update_begin(&q->rx_syncp);
	q->rx_stats[s] += n;
	u64_stats_update_end(&q->rx_syncp);
}

/* Caller holds q->tx_lock. */
static inline void pvnet_tx_count(struct pvnet_queue *q, enum pvnet_tx_stat s, u64 n)
{
	u64_stats_update_begin(&q->tx_syncp);
	q->tx_stats[s] += n;
	u64_stats_update_end(&q->tx_syncp);
}

/* tx.c */
netdev_tx_t pvnet_start_xmit(struct sk_buff *skb, struct net_device *dev);
void pvnet_tx_complete(struct pvnet_queue *q);
void pvnet_tx_release_all(struct pvnet_queue *q);
void pvnet_tx_init(struct pvnet_queue *q);

/* rx.c */
int pvnet_rx_poll(struct pvnet_queue *q, int budget);
void pvnet_rx_refill(struct pvnet_queue *q, bool notify);
void pvnet_rx_release_all(struct pvnet_queue *q);

/* netdev.c */
int pvnet_poll(struct napi_struct *napi, int budget);
struct net_device *pvnet_netdev_create(struct pvbus_device *pvdev);
void pvnet_apply_features(struct pvnet_info *info);

/* ethtool.c */
extern const struct ethtool_ops pvnet_ethtool_ops;
void pvnet_queue_stats(struct pvnet_queue *q, u64 *rx, u64 *tx);

#endif /* PVNET_H */
