/* backend_harness.c: kshim_net.h's kernel stand-ins and the backend side of the pvnet tests. */
#include "backend_harness.h"

#include "pvcore.h"
#include "pvnet.h"

_Static_assert((int)RXH_STAT_NR == (int)PVNET_RX_STAT_NR &&
		       (int)RXH_BAD_EXTRA == (int)PVNET_RX_BAD_EXTRA &&
		       (int)RXH_GRANT_BUSY == (int)PVNET_RX_GRANT_BUSY, "harness stat order");
_Static_assert((int)TXH_STAT_NR == (int)PVNET_TX_STAT_NR &&
		       (int)TXH_BAD_ID == (int)PVNET_TX_BAD_ID &&
		       (int)TXH_GRANT_FAIL == (int)PVNET_TX_GRANT_FAIL, "harness tx stat order");

#define RXH_REF_BASE 100U
#define RXH_MAX_REFS (RXH_REF_BASE + PVNET_RX_RING_SIZE)
#define TXH_REF_BASE (RXH_MAX_REFS + 16U)

static struct {
	struct pvnet_info *info;
	struct pvbus_device pvdev;
	struct net_device netdev;
	void *ring_page;
	struct pv_back_ring back;
	bool granted[RXH_MAX_REFS];
	bool mapped[RXH_MAX_REFS];
	bool csum_ok;
	unsigned int pages_live;
	unsigned int skbs_live;
	unsigned int tx_grants_live;
	u32 next_tx_ref;
	u32 tx_busy_ref; /* 0: none */
	struct page linear_page; /* what virt_to_page answers for any skb's linear area */
	void *tx_ring_page;
	struct pv_back_ring tx_back;
	unsigned long next_pfn;
	struct rxh_result res;
} h;

/* --- kernel stand-ins ------------------------------------------------------------------ */

struct page *alloc_page(gfp_t gfp)
{
	struct page *p = calloc(1, sizeof(*p));

	(void)gfp;
	p->data = calloc(1, PAGE_SIZE);
	p->refs = 1;
	p->pfn = ++h.next_pfn;
	h.pages_live++;
	return p;
}

void put_page(struct page *page)
{
	if (--page->refs)
		return;
	free(page->data);
	free(page);
	h.pages_live--;
}

int pvcore_grant_access_ref(u32 ref, u16 domid, unsigned long gfn, bool readonly)
{
	(void)domid;
	(void)gfn;
	(void)readonly;
	if (ref >= RXH_MAX_REFS || h.granted[ref])
		return -16; /* -EBUSY */
	h.granted[ref] = true;
	return 0;
}

bool pvcore_end_access_ref(u32 ref)
{
	if (ref >= TXH_REF_BASE) {
		return ref != h.tx_busy_ref; /* txh_keep_mapped */
	}
	if (ref >= RXH_MAX_REFS || h.mapped[ref])
		return false;
	h.granted[ref] = false;
	return true;
}

int pvcore_grant_access(u16 domid, unsigned long gfn, bool readonly)
{
	(void)domid;
	(void)gfn;
	(void)readonly;
	h.tx_grants_live++;
	return (int)(TXH_REF_BASE + h.next_tx_ref++);
}

void pvcore_release_refs(const u32 *refs, unsigned int count)
{
	(void)refs;
	h.tx_grants_live -= count;
}

struct page *virt_to_page(const void *addr)
{
	(void)addr;
	return &h.linear_page;
}

int skb_put_padto(struct sk_buff *skb, unsigned int len)
{
	if (skb->len < len) {
		skb->head_len += len - skb->len;
		skb->len = len;
	}
	return 0;
}

int skb_linearize(struct sk_buff *skb)
{
	(void)skb;
	return -12; /* -ENOMEM: the tests stay within the slot limit */
}

void pvcore_notify_remote(u32 port)
{
	(void)port;
}

void pvnet_queue_break(struct pvnet_queue *q, const char *why)
{
	q->broken = 1;
	h.res.broken = true;
	h.res.why = why;
}

struct sk_buff *napi_alloc_skb(struct napi_struct *napi, unsigned int len)
{
	struct sk_buff *skb = aligned_alloc(PAGE_SIZE, sizeof(struct sk_buff));

	(void)napi;
	(void)len;
	memset(skb, 0, sizeof(*skb));
	skb->users = 1;
	h.skbs_live++;
	return skb;
}

void skb_add_rx_frag(struct sk_buff *skb, int i, struct page *page, int off, int size,
		     unsigned int truesize)
{
	(void)truesize;
	skb->shinfo.frags[i] = (skb_frag_t){ .page = page, .off = (unsigned int)off,
					     .size = (unsigned int)size };
	skb->shinfo.nr_frags = (unsigned int)i + 1;
	skb->len += (unsigned int)size;
}

/* Moves @delta bytes from the front of the frags into the linear area. */
void *__pskb_pull_tail(struct sk_buff *skb, int delta)
{
	unsigned int want = (unsigned int)delta;

	if (skb->head_len + want > sizeof(skb->data))
		return NULL;
	while (want) {
		skb_frag_t *f = &skb->shinfo.frags[0];
		unsigned int n = min(want, f->size);

		memcpy(skb->data + skb->head_len, f->page->data + f->off, n);
		skb->head_len += n;
		f->off += n;
		f->size -= n;
		want -= n;
		if (!f->size) {
			put_page(f->page);
			memmove(f, f + 1, (--skb->shinfo.nr_frags) * sizeof(*f));
		}
	}
	return skb->data + skb->head_len;
}

void dev_kfree_skb_any(struct sk_buff *skb)
{
	unsigned int i;

	if (--skb->users)
		return;
	h.skbs_live--;
	for (i = 0; i < skb->shinfo.nr_frags; i++)
		put_page(skb->shinfo.frags[i].page);
	free(skb);
}

unsigned short eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
	(void)dev;
	return (unsigned short)(skb->data[12] << 8 | skb->data[13]);
}

int skb_checksum_setup(struct sk_buff *skb, bool recalculate)
{
	(void)recalculate;
	if (!h.csum_ok)
		return -71; /* -EPROTO */
	skb->ip_summed = CHECKSUM_PARTIAL;
	return 0;
}

void napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb)
{
	uint32_t sum = 0;
	unsigned int i, j;

	(void)napi;
	for (i = 0; i < skb->head_len; i++)
		sum += skb->data[i];
	for (i = 0; i < skb->shinfo.nr_frags; i++)
		for (j = 0; j < skb->shinfo.frags[i].size; j++)
			sum += skb->shinfo.frags[i].page->data[skb->shinfo.frags[i].off + j];
	h.res.delivered++;
	h.res.last_len = skb->len;
	h.res.last_sum = sum;
	h.res.last_gso_size = skb->shinfo.gso_size;
	h.res.last_gso_type = skb->shinfo.gso_type;
	h.res.last_ip_summed = skb->ip_summed;
	dev_kfree_skb_any(skb);
}

/* --- the test's side -------------------------------------------------------------------- */

void rxh_setup(void)
{
	struct pvnet_queue *q;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	h.csum_ok = true;
	h.info = calloc(1, sizeof(*h.info));
	h.info->netdev = &h.netdev;
	h.info->pvdev = &h.pvdev;
	q = &h.info->queues[0];
	q->info = h.info;
	h.ring_page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	pv_sring_init(h.ring_page, PV_RING_BYTES(1U));
	pv_front_ring_attach(&q->rx, h.ring_page, PV_RING_BYTES(1U),
			     sizeof(union netif_rx_sring_entry));
	for (i = 0; i < PVNET_RX_RING_SIZE; i++)
		q->rx_bufs[i].gref = RXH_REF_BASE + i;
	pvnet_rx_refill(q, false);
	pv_back_ring_attach(&h.back, h.ring_page, PV_RING_BYTES(1U),
			    sizeof(union netif_rx_sring_entry));

	h.netdev.priv = h.info;
	h.info->connected = true;
	h.info->num_queues = 1;
	h.tx_ring_page = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	pv_sring_init(h.tx_ring_page, PV_RING_BYTES(1U));
	pv_front_ring_attach(&q->tx, h.tx_ring_page, PV_RING_BYTES(1U),
			     sizeof(union netif_tx_sring_entry));
	pv_back_ring_attach(&h.tx_back, h.tx_ring_page, PV_RING_BYTES(1U),
			    sizeof(union netif_tx_sring_entry));
	pvnet_tx_init(q);
}

void rxh_teardown(void)
{
	unsigned int i;

	for (i = 0; i < RXH_MAX_REFS; i++)
		h.mapped[i] = false;
	h.tx_busy_ref = 0;
	pvnet_rx_release_all(&h.info->queues[0]);
	pvnet_tx_release_all(&h.info->queues[0]);
	free(h.ring_page);
	free(h.tx_ring_page);
	free(h.info);
}

bool rxh_take_request(uint16_t *id, uint32_t *gref)
{
	struct netif_rx_request req;

	if (pv_back_consume_request(&h.back, &req, sizeof(req)) != 1)
		return false;
	*id = req.id;
	*gref = req.gref;
	return true;
}

void rxh_fill(uint32_t gref, unsigned int off, unsigned int len, uint8_t byte)
{
	struct pvnet_rx_buf *buf = &h.info->queues[0].rx_bufs[gref - RXH_REF_BASE];

	if (h.granted[gref] && off + len <= PAGE_SIZE)
		memset(buf->page->data + off, byte, len);
}

void rxh_respond(uint16_t id, uint16_t off, uint16_t flags, int16_t status)
{
	struct netif_rx_response rsp = { .id = id, .offset = off, .flags = flags,
					 .status = status };

	pv_back_produce_response(&h.back, &rsp, sizeof(rsp));
}

void rxh_respond_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type)
{
	struct netif_extra_info ex = { .type = type, .flags = flags };

	ex.u.gso.size = gso_size;
	ex.u.gso.type = gso_type;
	pv_back_produce_response(&h.back, &ex, sizeof(ex));
}

void rxh_push(void)
{
	pv_back_push_responses(&h.back);
}

void rxh_bump_rsp_prod(uint32_t delta)
{
	struct pv_sring_hdr *s = h.ring_page;

	s->rsp_prod += delta;
}

void rxh_keep_mapped(uint32_t gref)
{
	if (gref < RXH_MAX_REFS)
		h.mapped[gref] = true;
}

void rxh_set_csum_ok(bool ok)
{
	h.csum_ok = ok;
}

int rxh_poll(int budget)
{
	return pvnet_rx_poll(&h.info->queues[0], budget);
}

void rxh_get(struct rxh_result *r)
{
	struct pvnet_queue *q = &h.info->queues[0];
	unsigned int i;

	*r = h.res;
	for (i = 0; i < PVNET_RX_STAT_NR && i < 16; i++)
		r->stat[i] = q->rx_stats[i];
	for (i = 0; i < PVNET_TX_STAT_NR && i < 16; i++)
		r->tx_stat[i] = q->tx_stats[i];
	r->tx_stopped = h.netdev.txq[0].stopped;
	r->skbs_live = h.skbs_live;
	r->tx_grants_live = h.tx_grants_live;
	r->pages_live = h.pages_live;
	r->posted = q->rx.req_prod_pvt - q->rx.rsp_cons;
}

/* --- transmit ---------------------------------------------------------------------------- */

int txh_send(unsigned int linear, unsigned int frags, unsigned int frag_len, unsigned int gso)
{
	struct sk_buff *skb = napi_alloc_skb(NULL, 0);
	unsigned int i;

	skb->head_len = linear;
	skb->len = linear;
	for (i = 0; i < frags; i++) {
		struct page *p = alloc_page(0);

		skb_add_rx_frag(skb, (int)i, p, 0, (int)frag_len, PAGE_SIZE);
	}
	if (gso) {
		skb->shinfo.gso_size = (unsigned short)gso;
		skb->shinfo.gso_type = SKB_GSO_TCPV4;
		skb->ip_summed = CHECKSUM_PARTIAL;
	}
	return pvnet_start_xmit(skb, &h.netdev);
}

bool txh_take(struct txh_request *r)
{
	union netif_tx_sring_entry e;

	if (pv_back_consume_request(&h.tx_back, &e, sizeof(e)) != 1)
		return false;
	r->gref = e.req.gref;
	r->offset = e.req.offset;
	r->flags = e.req.flags;
	r->id = e.req.id;
	r->size = e.req.size;
	memcpy(r->raw, &e, sizeof(r->raw));
	return true;
}

void txh_respond(uint16_t id, int16_t status)
{
	struct netif_tx_response rsp = { .id = id, .status = status };

	pv_back_produce_response(&h.tx_back, &rsp, sizeof(rsp));
	pv_back_push_responses(&h.tx_back);
}

void txh_bump_rsp_prod(uint32_t delta)
{
	struct pv_sring_hdr *s = h.tx_ring_page;

	s->rsp_prod += delta;
}

void txh_keep_mapped(uint32_t gref)
{
	h.tx_busy_ref = gref;
}

void txh_complete(void)
{
	pvnet_tx_complete(&h.info->queues[0]);
}
