// SPDX-License-Identifier: GPL-2.0
/*
 * rx.c: receive in rx-copy mode: posting granted pages, validating each response chain, and
 * building skbs from the pages the backend filled.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "pvcore.h"
#include "pvnet.h"

#define PVNET_RX_MASK (PVNET_RX_RING_SIZE - 1U)

/* Posts a page in every free slot (at most the ring). Runs in the poll or at setup. */
void pvnet_rx_refill(struct pvnet_queue *q, bool notify)
{
	u16 domid = (u16)q->info->pvdev->otherend_id;
	bool posted = false;

	if (pvnet_queue_broken(q) || (notify && pv_front_free_slots(&q->rx) < PVNET_RX_REFILL_BATCH))
		return;
	while (pv_front_free_slots(&q->rx)) {
		u16 idx = (u16)(q->rx.req_prod_pvt & PVNET_RX_MASK);
		struct pvnet_rx_buf *buf = &q->rx_bufs[idx];
		struct netif_rx_request req = { .id = idx, .gref = buf->gref };

		if (!buf->page)
			buf->page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		if (!buf->page ||
		    pvcore_grant_access_ref(buf->gref, domid, page_to_pfn(buf->page), false)) {
			pvnet_rx_count(q, PVNET_RX_ALLOC_FAIL, 1);
			break;
		}
		buf->granted = true;
		pv_front_produce(&q->rx, &req, sizeof(req));
		posted = true;
	}
	if (posted && pv_front_push_requests(&q->rx) && notify)
		pvcore_notify_remote(q->evtchn);
}

/*
 * Takes the next response (a private copy in *rsp) and ends its slot's grant; the slot's
 * page stays in rx_bufs for reuse unless the caller moves it to an skb.
 * 1 taken, 0 none published, -1 the backend broke the protocol (*why says how).
 */
static int pvnet_rx_take(struct pvnet_queue *q, void *rsp, struct pvnet_rx_buf **bufp,
			 const char **why)
{
	u16 idx = (u16)(q->rx.rsp_cons & PVNET_RX_MASK);
	struct pvnet_rx_buf *buf = &q->rx_bufs[idx];
	int n;

	n = pv_front_consume_response(&q->rx, rsp, sizeof(struct netif_rx_response));
	if (n < 0) {
		pvnet_rx_count(q, PVNET_RX_RING_OVERFLOW, 1);
		*why = "rx response producer overflow";
	}
	if (n != 1)
		return n;
	/* The overflow check guarantees a posted request below rsp_prod, hence granted. */
	if (WARN_ON_ONCE(!buf->granted)) {
		*why = "rx response for an unposted slot";
		return -1;
	}
	if (!pvcore_end_access_ref(buf->gref)) {
		/* Still mapped after answering: the page can never be reused or freed. */
		pvnet_rx_count(q, PVNET_RX_GRANT_BUSY, 1);
		buf->page = NULL;
		*why = "rx page still mapped after its response";
		return -1;
	}
	buf->granted = false;
	*bufp = buf;
	return 1;
}

/* One packet being received. */
struct pvnet_rx_pkt {
	struct sk_buff *skb; /* NULL once the packet is being dropped */
	u16 flags;	     /* slot 0's */
	struct netif_extra_gso gso;
	bool have_gso;
	unsigned int slots; /* data slots */
	const char *why;    /* set on a protocol violation */
};

static void pvnet_rx_drop(struct pvnet_queue *q, struct pvnet_rx_pkt *p, enum pvnet_rx_stat s)
{
	pvnet_rx_count(q, s, 1);
	if (p->skb) {
		dev_kfree_skb_any(p->skb);
		p->skb = NULL;
	}
}

/* The extra slots after slot 0. false on a protocol violation. */
static bool pvnet_rx_extras(struct pvnet_queue *q, struct pvnet_rx_pkt *p)
{
	struct netif_extra_info ex;
	struct pvnet_rx_buf *buf;
	unsigned int count = 0;

	do {
		if (++count > PV_NETIF_MAX_EXTRAS) {
			p->why = "rx extra chain too long";
			return false;
		}
		if (pvnet_rx_take(q, &ex, &buf, &p->why) != 1) {
			p->why = p->why ?: "rx packet published without its extra slot";
			return false;
		}
		if (ex.type != XEN_NETIF_EXTRA_TYPE_GSO || p->have_gso ||
		    (ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
		     ex.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6) ||
		    ex.u.gso.size == 0 || ex.u.gso.features != 0) {
			pvnet_rx_drop(q, p, PVNET_RX_BAD_EXTRA);
			continue;
		}
		p->gso = ex.u.gso;
		p->have_gso = true;
	} while (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	return true;
}

/* Attaches one data slot's page to the skb (the page moves from the slot to the skb). */
static void pvnet_rx_add_data(struct pvnet_queue *q, struct pvnet_rx_pkt *p,
			      const struct netif_rx_response *rsp, struct pvnet_rx_buf *buf)
{
	struct sk_buff *skb = p->skb;

	if (rsp->status < 0) {
		pvnet_rx_drop(q, p, PVNET_RX_ERROR_STATUS);
		return;
	}
	if (rsp->status == 0 || rsp->offset + (unsigned int)rsp->status > PV_NETIF_PAGE_SIZE) {
		pvnet_rx_drop(q, p, PVNET_RX_BAD_SIZE);
		return;
	}
	if (!skb)
		return;
	/* At the frag limit, move the first frag into the linear area to make room. */
	if (skb_shinfo(skb)->nr_frags == MAX_SKB_FRAGS &&
	    !__pskb_pull_tail(skb, skb_frag_size(&skb_shinfo(skb)->frags[0]))) {
		pvnet_rx_drop(q, p, PVNET_RX_ALLOC_FAIL);
		return;
	}
	skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, buf->page, rsp->offset,
			(unsigned int)rsp->status, PAGE_SIZE);
	buf->page = NULL;
}

/* One data slot just taken (its response in *rsp): id check, then its page to the skb. */
static void pvnet_rx_slot(struct pvnet_queue *q, struct pvnet_rx_pkt *p,
			  const struct netif_rx_response *rsp, struct pvnet_rx_buf *buf)
{
	/* The backend answers in the request's own slot, whose id is the slot index. */
	if (rsp->id != (u16)((q->rx.rsp_cons - 1U) & PVNET_RX_MASK))
		pvnet_rx_drop(q, p, PVNET_RX_BAD_ID);
	pvnet_rx_add_data(q, p, rsp, buf);
}

/* Checksum and GSO state of a complete skb (protocol set). false: drop it. */
static bool pvnet_rx_offloads(struct pvnet_queue *q, struct pvnet_rx_pkt *p)
{
	struct sk_buff *skb = p->skb;

	if (p->flags & ~(u16)(NETRXF_data_validated | NETRXF_csum_blank | NETRXF_more_data |
			      NETRXF_extra_info) ||
	    (p->have_gso && !(p->flags & NETRXF_csum_blank))) {
		pvnet_rx_drop(q, p, PVNET_RX_BAD_FLAGS);
		return false;
	}
	if (p->flags & NETRXF_csum_blank) {
		skb_reset_network_header(skb);
		if (skb_checksum_setup(skb, true)) {
			pvnet_rx_drop(q, p, PVNET_RX_CSUM_FAIL);
			return false;
		}
	} else if (p->flags & NETRXF_data_validated) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	if (p->have_gso) {
		skb_shinfo(skb)->gso_size = p->gso.size;
		skb_shinfo(skb)->gso_type = (p->gso.type == XEN_NETIF_GSO_TYPE_TCPV4 ?
					     SKB_GSO_TCPV4 : SKB_GSO_TCPV6) | SKB_GSO_DODGY;
		skb_shinfo(skb)->gso_segs = 0; /* the stack counts them (untrusted header) */
	}
	return true;
}

/* Hands a complete packet to the stack; false if it was dropped instead. */
static bool pvnet_rx_deliver(struct pvnet_queue *q, struct pvnet_rx_pkt *p)
{
	struct sk_buff *skb = p->skb;
	unsigned int len = skb->len;

	if (len < ETH_HLEN) {
		pvnet_rx_drop(q, p, PVNET_RX_BAD_SIZE);
		return false;
	}
	if (!__pskb_pull_tail(skb, min_t(unsigned int, len, PVNET_RX_PULL) - skb_headlen(skb))) {
		pvnet_rx_drop(q, p, PVNET_RX_ALLOC_FAIL);
		return false;
	}
	skb->protocol = eth_type_trans(skb, q->info->netdev);
	if (!pvnet_rx_offloads(q, p))
		return false;
	skb_record_rx_queue(skb, (u16)q->id);
	pvnet_rx_count(q, PVNET_RX_PACKETS, 1);
	pvnet_rx_count(q, PVNET_RX_BYTES, len);
	napi_gro_receive(&q->napi, skb);
	p->skb = NULL;
	return true;
}

/*
 * One whole packet: slot 0, its extras, its further data slots. The backend publishes whole
 * packets, so a chain cut short at rsp_prod is a protocol violation like an overlong one.
 * 1 handled (delivered or dropped), 0 none pending, -1 broken (*why).
 */
static int pvnet_rx_packet(struct pvnet_queue *q, const char **why)
{
	struct pvnet_rx_pkt p = { .slots = 1 };
	struct netif_rx_response rsp;
	struct pvnet_rx_buf *buf;
	bool more;
	int n;

	n = pvnet_rx_take(q, &rsp, &buf, why);
	if (n != 1)
		return n;
	p.flags = rsp.flags;
	p.skb = napi_alloc_skb(&q->napi, PVNET_RX_PULL);
	if (!p.skb)
		pvnet_rx_count(q, PVNET_RX_ALLOC_FAIL, 1);
	pvnet_rx_slot(q, &p, &rsp, buf);
	/* A failed slot (negative status) ends its packet: it carries no more flags. */
	more = rsp.status >= 0 && (rsp.flags & NETRXF_more_data);
	if (rsp.status >= 0 && (rsp.flags & NETRXF_extra_info) && !pvnet_rx_extras(q, &p))
		goto broken;
	while (more) {
		if (++p.slots > XEN_NETIF_NR_SLOTS_MIN) {
			pvnet_rx_count(q, PVNET_RX_TOO_MANY_SLOTS, 1);
			p.why = "rx chain longer than the slot limit";
			goto broken;
		}
		if (pvnet_rx_take(q, &rsp, &buf, &p.why) != 1) {
			p.why = p.why ?: "rx packet published without its last slot";
			goto broken;
		}
		pvnet_rx_slot(q, &p, &rsp, buf);
		more = rsp.status >= 0 && (rsp.flags & NETRXF_more_data);
	}
	if (!p.skb || !pvnet_rx_deliver(q, &p))
		pvnet_rx_count(q, PVNET_RX_DROPS, 1);
	return 1;
broken:
	if (p.skb)
		dev_kfree_skb_any(p.skb);
	*why = p.why;
	return -1;
}

/* Receives up to @budget packets and refills the ring. Returns the packets handled. */
int pvnet_rx_poll(struct pvnet_queue *q, int budget)
{
	const char *why = NULL;
	int done = 0, n = 0;

	if (pvnet_queue_broken(q))
		return 0; /* its rings are never read again */
	while (done < budget && (n = pvnet_rx_packet(q, &why)) == 1)
		done++;
	if (n < 0) {
		pvnet_queue_break(q, why ?: "rx");
		return done;
	}
	pvnet_rx_refill(q, true);
	return done;
}

/* At teardown (irq unbound, NAPI off): ends every posting and frees the pages. */
void pvnet_rx_release_all(struct pvnet_queue *q)
{
	unsigned int i;

	for (i = 0; i < PVNET_RX_RING_SIZE; i++) {
		struct pvnet_rx_buf *buf = &q->rx_bufs[i];

		if (!buf->page)
			continue;
		if (buf->granted && !pvcore_end_access_ref(buf->gref)) {
			pvnet_rx_count(q, PVNET_RX_GRANT_BUSY, 1);
			buf->page = NULL; /* still mapped by the backend: leaked on purpose */
			continue;
		}
		buf->granted = false;
		put_page(buf->page);
		buf->page = NULL;
	}
}
