/* backend_harness.h: runs pvnet's rx.c and tx.c in userspace as a (hostile) backend would. */
#ifndef PVNET_BACKEND_HARNESS_H
#define PVNET_BACKEND_HARNESS_H
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* rxh_result.stat indices: pvnet.h's enum pvnet_rx_stat (checked in backend_harness.c). */
enum rxh_stat {
	RXH_PACKETS,
	RXH_BYTES,
	RXH_DROPS,
	RXH_ERROR_STATUS,
	RXH_BAD_ID,
	RXH_BAD_SIZE,
	RXH_BAD_FLAGS,
	RXH_BAD_EXTRA,
	RXH_TOO_MANY_SLOTS,
	RXH_CSUM_FAIL,
	RXH_ALLOC_FAIL,
	RXH_RING_OVERFLOW,
	RXH_GRANT_BUSY,
	RXH_STAT_NR
};

/* rxh_result.tx_stat indices: pvnet.h's enum pvnet_tx_stat. */
enum txh_stat {
	TXH_PACKETS,
	TXH_BYTES,
	TXH_DROPS,
	TXH_ERRORS,
	TXH_BUSY,
	TXH_BAD_ID,
	TXH_BAD_STATUS,
	TXH_RING_OVERFLOW,
	TXH_GRANT_BUSY,
	TXH_GRANT_FAIL,
	TXH_STAT_NR
};

/* One tx request slot as the backend copied it (raw: the slot, for extra-info slots). */
struct txh_request {
	uint32_t gref;
	uint16_t offset, flags, id, size;
	uint8_t raw[12];
};

/* What the frontend did, after the polls so far. */
struct rxh_result {
	unsigned int delivered;	  /* skbs handed to the stack */
	unsigned int last_len;	  /* the last delivered skb: bytes */
	uint32_t last_sum;	  /* sum of its bytes (linear + frags) */
	unsigned int last_gso_size;
	unsigned int last_gso_type;
	int last_ip_summed;
	bool broken;		  /* pvnet_queue_break was called */
	const char *why;	  /* its reason */
	uint64_t stat[16];	  /* enum pvnet_rx_stat order */
	uint64_t tx_stat[16];	  /* enum pvnet_tx_stat order */
	bool tx_stopped;	  /* the tx queue is stopped */
	unsigned int skbs_live;	  /* skbs not yet freed */
	unsigned int tx_grants_live; /* tx grant refs not yet released */
	unsigned int pages_live;  /* pages allocated and not yet freed */
	unsigned int posted;	  /* rx requests outstanding (req_prod_pvt - rsp_cons) */
};

/* Sets up one queue: a one-page rx ring, 256 posted pages; the backend view attached. */
void rxh_setup(void);
void rxh_teardown(void);
/* Backend: the next posted request's id and gref (false if none is published). */
bool rxh_take_request(uint16_t *id, uint32_t *gref);
/* Backend: writes @len bytes of value @byte at @off into the page granted as @gref. */
void rxh_fill(uint32_t gref, unsigned int off, unsigned int len, uint8_t byte);
/* Backend: the next response slot (id, offset, flags, status) or an extra-info slot. */
void rxh_respond(uint16_t id, uint16_t off, uint16_t flags, int16_t status);
void rxh_respond_extra(uint8_t type, uint8_t flags, uint16_t gso_size, uint8_t gso_type);
void rxh_push(void);
/* Hostile: rsp_prod moved by @delta without responses behind it. */
void rxh_bump_rsp_prod(uint32_t delta);
/* Hostile: the backend keeps the page of @gref mapped (ending its grant fails). */
void rxh_keep_mapped(uint32_t gref);
/* skb_checksum_setup's verdict for csum_blank packets. */
void rxh_set_csum_ok(bool ok);
/* One NAPI round of pvnet_rx_poll; returns its count. */
int rxh_poll(int budget);
void rxh_get(struct rxh_result *r);

/* Transmit: an skb of @linear bytes (<= 4096) plus @frags page frags of @frag_len bytes,
 * GSO (TCPv4, csum partial) with MSS @gso when nonzero. Returns pvnet_start_xmit's value. */
int txh_send(unsigned int linear, unsigned int frags, unsigned int frag_len, unsigned int gso);
bool txh_take(struct txh_request *r);
/* Backend: answers (and publishes) one tx slot. */
void txh_respond(uint16_t id, int16_t status);
void txh_bump_rsp_prod(uint32_t delta);
void txh_keep_mapped(uint32_t gref);
/* One round of pvnet_tx_complete (what the NAPI poll runs first). */
void txh_complete(void);

#ifdef __cplusplus
}
#endif
#endif /* PVNET_BACKEND_HARNESS_H */
