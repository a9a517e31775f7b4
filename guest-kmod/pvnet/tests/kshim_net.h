/* kshim_net.h: userspace stand-ins for the kernel APIs pvnet's rx.c and tx.c use (tests only). */
/*
 * Single-threaded: locks and stats syncs are no-ops. Pages are calloc'ed 4 KiB buffers with
 * a refcount; an skb is a linear buffer plus page frags; the grant calls record their state
 * per ref so the test can make the "backend" keep a page mapped.
 */
#ifndef KSHIM_NET_H
#define KSHIM_NET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int16_t s16;
typedef unsigned int gfp_t;

#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __scanf(a, b) __attribute__((format(scanf, a, b)))
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define min_t(t, a, b) min((t)(a), (t)(b))
#define WARN_ON_ONCE(c) (c)
#define unlikely(c) (c)
#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define ETH_ZLEN 60
#define NETDEV_TX_OK 0
#define NETDEV_TX_BUSY 16
#define spin_lock(l) ((void)(l))
#define spin_unlock(l) ((void)(l))
#define spin_lock_bh(l) ((void)(l))
#define spin_unlock_bh(l) ((void)(l))
#define IFNAMSIZ 16
#define ETH_HLEN 14
#define ETH_ALEN 6
#define MAX_SKB_FRAGS 17
#define GFP_ATOMIC 0U
#define __GFP_NOWARN 0U
#define CHECKSUM_NONE 0
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_PARTIAL 3
#define SKB_GSO_TCPV4 (1U << 0)
#define SKB_GSO_DODGY (1U << 1)
#define SKB_GSO_TCPV6 (1U << 4)

struct list_head {
	struct list_head *next, *prev;
};
typedef struct {
	int unused;
} wait_queue_head_t;
typedef struct {
	int unused;
} spinlock_t;
struct device {
	int unused;
};
struct module;
struct device_driver {
	int unused;
};
struct u64_stats_sync {
	int unused;
};
#define u64_stats_update_begin(s) ((void)(s))
#define u64_stats_update_end(s) ((void)(s))
typedef int irqreturn_t;
typedef irqreturn_t (*irq_handler_t)(int, void *);
typedef int netdev_tx_t;
struct netdev_queue {
	bool stopped;
};
struct net_device {
	char name[IFNAMSIZ];
	struct netdev_queue txq[8];
	void *priv;
};
#define netdev_priv(d) ((d)->priv)
#define netdev_get_tx_queue(d, i) (&(d)->txq[i])
#define netif_tx_stop_queue(q) ((q)->stopped = true)
#define netif_tx_wake_queue(q) ((q)->stopped = false)
#define netif_tx_queue_stopped(q) ((q)->stopped)
struct napi_struct {
	int unused;
};

struct page {
	unsigned char *data; /* PAGE_SIZE bytes */
	int refs;
	unsigned long pfn;
};
struct page *alloc_page(gfp_t gfp);
void put_page(struct page *page);
#define page_to_pfn(p) ((p)->pfn)

typedef struct {
	struct page *page;
	unsigned int off, size;
} skb_frag_t;
struct skb_shared_info {
	unsigned int nr_frags;
	skb_frag_t frags[MAX_SKB_FRAGS];
	unsigned short gso_size, gso_segs;
	unsigned int gso_type;
};
struct sk_buff {
	unsigned char data[PAGE_SIZE * 2]; /* first: page-aligned when the skb is */
	int users;
	unsigned int len;      /* linear + frags */
	unsigned int head_len; /* bytes in data[] */
	int ip_summed;
	unsigned short protocol;
	unsigned short queue;
	struct skb_shared_info shinfo;
};
#define skb_shinfo(s) (&(s)->shinfo)
#define skb_headlen(s) ((s)->head_len)
#define skb_frag_size(f) ((f)->size)
#define skb_frag_page(f) ((f)->page)
#define skb_frag_off(f) ((f)->off)
#define skb_is_gso(s) ((s)->shinfo.gso_size != 0)
#define skb_get_queue_mapping(s) ((s)->queue)
static inline struct sk_buff *skb_get(struct sk_buff *skb)
{
	skb->users++;
	return skb;
}
struct page *virt_to_page(const void *addr);
int skb_put_padto(struct sk_buff *skb, unsigned int len);
int skb_linearize(struct sk_buff *skb);
#define dev_consume_skb_any(s) dev_kfree_skb_any(s)
struct sk_buff *napi_alloc_skb(struct napi_struct *napi, unsigned int len);
void skb_add_rx_frag(struct sk_buff *skb, int i, struct page *page, int off, int size,
		     unsigned int truesize);
void *__pskb_pull_tail(struct sk_buff *skb, int delta);
void dev_kfree_skb_any(struct sk_buff *skb);
unsigned short eth_type_trans(struct sk_buff *skb, struct net_device *dev);
#define skb_reset_network_header(s) ((void)(s))
int skb_checksum_setup(struct sk_buff *skb, bool recalculate);
#define skb_record_rx_queue(s, q) ((s)->queue = (q))
void napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb);

static inline int test_bit(int nr, const unsigned long *addr)
{
	return (int)((*addr >> nr) & 1UL);
}

#endif /* KSHIM_NET_H */
