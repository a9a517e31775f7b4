/* pv/netif.h: the PV network protocol (Xen io/netif.h layouts): tx/rx rings, slots, keys. */
#ifndef PV_NETIF_H
#define PV_NETIF_H

#include "abi_types.h"
#include "ring.h"

/*
 * Overview
 * --------
 * A virtual network interface (vif) is served over one pair of shared rings per queue
 * (pv/ring.h layout, one 4 KiB page each; netif has no multi-page rings):
 *   tx ring  guest -> host: the frontend posts packets to send (netif_tx_request slots), the
 *            backend answers every slot (netif_tx_response).
 *   rx ring  host -> guest: the frontend posts empty granted pages (netif_rx_request), the
 *            backend copies a received packet into them and answers (netif_rx_response).
 * Entries: tx 12 bytes (256 per page), rx 8 bytes (256 per page).
 * Each side is untrusted by the other: the backend copies every slot out of shared memory
 * once and validates the copy; the frontend checks every response's id against its shadow.
 *
 * Transmit (guest -> host) slot rules
 * -----------------------------------
 * A packet is a chain of slots:
 *   slot 0           netif_tx_request: size = TOTAL packet length in bytes (Ethernet frame,
 *                    no FCS), offset/gref = where the first piece lies. Its own piece is
 *                    size - (sum of the sizes of the following data slots); it may be empty.
 *   extra slots      present iff slot 0 has NETTXF_extra_info: one netif_extra_info per slot,
 *                    chained by XEN_NETIF_EXTRA_FLAG_MORE. Each type at most once (else the
 *                    packet is dropped); a chain of more than PV_NETIF_MAX_EXTRAS slots
 *                    breaks the ring. On tx: GSO, MCAST_ADD/DEL, HASH; XDP is rx-only.
 *   data slots 1..n  present while the previous data slot has NETTXF_more_data; size = this
 *                    piece's own length (>= 1).
 * For every data slot: offset + own length <= 4096 (a piece never leaves its granted page).
 * Slot 0's total is ETH_HLEN (14) .. XEN_NETIF_MAX_TX_SIZE and at least the sum of the
 * following pieces. A packet uses at most XEN_NETBK_LEGACY_SLOTS_MAX (18) data slots
 * (XEN_NETIF_NR_SLOTS_MIN: every backend accepts that many). A pvisor backend drops packets of
 * 19..PV_NETIF_FATAL_TX_SLOTS data slots (error responses) and marks the ring broken for
 * longer chains, or for a chain still open at req_prod (a frontend publishes whole packets).
 * Every consumed slot gets exactly one response, in any order: data slots carry their id and
 * NETIF_RSP_OKAY / NETIF_RSP_ERROR (the whole packet was dropped) / NETIF_RSP_DROPPED;
 * extra slots are answered with status NETIF_RSP_NULL (id meaningless).
 * Checksum flags (tx): NETTXF_csum_blank = the L4 checksum field holds only the pseudo-header
 * sum, the backend (or the host NIC) completes it; NETTXF_data_validated = the checksum is
 * known good (set together with csum_blank by Linux). A GSO extra requires csum_blank.
 * A pvisor backend finds the checksum field by parsing the packet's first 256 bytes: Ethernet
 * with at most one 802.1Q/802.1ad tag, IPv4 (not a fragment) or IPv6 (at most 8 hop-by-hop,
 * routing or destination-options headers), then TCP or UDP; csum_blank on anything else, or a
 * GSO type that contradicts these headers, drops the packet.
 *
 * Receive (host -> guest) slot rules
 * ----------------------------------
 * The frontend posts netif_rx_request {id, gref}: a whole 4 KiB page granted writable to the
 * backend. The backend consumes as many requests as a packet needs and answers EACH IN THE
 * SAME RING SLOT as its request (Linux netfront ignores the rx id; responses in order make
 * this hold). Per packet:
 *   slot 0           netif_rx_response: status = bytes in this page (> 0), offset = where
 *                    they start, flags NETRXF_*; NETRXF_more_data if data slots follow,
 *                    NETRXF_extra_info if an extra slot follows.
 *   extra slot       a netif_extra_info (GSO, only if the frontend set feature-gso-tcpv4/v6)
 *                    written over that slot's response.
 *   data slots       status = bytes in this page, offset, NETRXF_more_data except the last.
 * offset + status <= 4096 always. A negative status (NETIF_RSP_ERROR) means the slot holds
 * nothing and the packet was dropped (e.g. its grant was refused); such a response carries no
 * more_data flag. Checksum flags (rx; bits 0/1 are SWAPPED relative to tx):
 * NETRXF_csum_blank = partial checksum (pseudo-header only) - the frontend completes or
 * offloads it; always set with NETRXF_data_validated.
 *
 * Connection state diagram (XenbusState, pv/xs_wire.h values)
 * ----------------------------------------------------------
 *   Frontend                              Backend
 *   Initialising                          Initialising
 *                                         publishes feature-*, mac, multi-queue-max-queues
 *                                         -> InitWait
 *   reads backend features; in one transaction (retry on EAGAIN) writes tx-ring-ref,
 *   rx-ring-ref, event-channel (per queue), request-rx-copy = 1, feature-*
 *   -> Connected (netfront does not stop in Initialised)
 *                                         maps both rings, binds the event channel(s)
 *                                         -> Connected
 *   Teardown: either side -> Closing -> Closed; the backend goes back to InitWait while
 *   "online" is 1. The frontend follows the backend's state for its carrier.
 *
 * Index ordering (pv/ring.h rules, per ring)
 * ------------------------------------------
 * tx: the frontend writes a packet's slots, release barrier (virt_wmb), stores req_prod past
 *     the WHOLE packet, full barrier (virt_mb), reads req_event to decide the notification.
 *     The backend reads req_prod with acquire (virt_rmb) before copying any slot; it stores
 *     req_event = req_cons + 1, full barrier, and re-reads req_prod before sleeping.
 *     Responses: slots, release, rsp_prod, full barrier, read rsp_event.
 * rx: the same with the roles of the request (posted buffer) and response (filled buffer).
 * One event channel per queue serves both rings unless feature-split-event-channels was
 * negotiated (pvisor's backend does not offer it).
 */

/* --- Limits ----------------------------------------------------------------------------- */
#define XEN_NETIF_NR_SLOTS_MIN 18U      /* data slots every backend accepts per tx packet */
#define XEN_NETBK_LEGACY_SLOTS_MAX 18U  /* the same bound under Linux netback's name */
#define PV_NETIF_FATAL_TX_SLOTS 20U     /* longer chains break the ring (Linux: fatal_skb_slots) */
#define XEN_NETIF_MAX_TX_SIZE 0xFFFFU   /* largest slot-0 total size */
#define PV_NETIF_ETH_HLEN 14U           /* smallest packet: one Ethernet header */
#define PV_NETIF_PAGE_SIZE 4096U        /* every granted buffer is one page */
#define PV_NETIF_MAX_EXTRAS 4U          /* extra slots per packet: each type at most once */
/* Most queues a pvisor backend offers (multi-queue-max-queues). */
#define PV_NETIF_MAX_QUEUES 8U

/* --- Transmit request flags (netif_tx_request.flags) ------------------------------------ */
#define _NETTXF_csum_blank 0
#define NETTXF_csum_blank (1U << _NETTXF_csum_blank) /* L4 checksum to be completed */
#define _NETTXF_data_validated 1
#define NETTXF_data_validated (1U << _NETTXF_data_validated) /* checksum known good */
#define _NETTXF_more_data 2
#define NETTXF_more_data (1U << _NETTXF_more_data) /* another data slot follows */
#define _NETTXF_extra_info 3
#define NETTXF_extra_info (1U << _NETTXF_extra_info) /* slot 0 only: an extra slot follows */
#define NETTXF_KNOWN_MASK 0xFU

/* --- Receive response flags (netif_rx_response.flags) ----------------------------------- */
#define _NETRXF_data_validated 0
#define NETRXF_data_validated (1U << _NETRXF_data_validated)
#define _NETRXF_csum_blank 1
#define NETRXF_csum_blank (1U << _NETRXF_csum_blank)
#define _NETRXF_more_data 2
#define NETRXF_more_data (1U << _NETRXF_more_data)
#define _NETRXF_extra_info 3
#define NETRXF_extra_info (1U << _NETRXF_extra_info)
/* Obsolete GSO prefix descriptor (feature-gso-tcpv4-prefix); never sent by pvisor. */
#define _NETRXF_gso_prefix 4
#define NETRXF_gso_prefix (1U << _NETRXF_gso_prefix)

/* --- Response status -------------------------------------------------------------------- */
#define NETIF_RSP_DROPPED (-2) /* tx: dropped by the backend (no error in the request) */
#define NETIF_RSP_ERROR (-1)   /* the request was malformed or its grant refused */
#define NETIF_RSP_OKAY 0       /* tx: sent */
#define NETIF_RSP_NULL 1       /* tx: answer to an extra-info slot (no packet of its own) */

/* --- Extra info ------------------------------------------------------------------------- */
#define XEN_NETIF_EXTRA_TYPE_NONE 0      /* never valid */
#define XEN_NETIF_EXTRA_TYPE_GSO 1       /* u.gso: tx needs feature-gso-tcpv4/v6 (backend) */
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD 2 /* u.mcast, tx only, feature-multicast-control */
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL 3 /* u.mcast, tx only, feature-multicast-control */
#define XEN_NETIF_EXTRA_TYPE_HASH 4      /* u.hash: the packet's hash (feature-ctrl-ring) */
#define XEN_NETIF_EXTRA_TYPE_XDP 5       /* u.xdp, rx only: headroom the backend reserved */
#define XEN_NETIF_EXTRA_TYPE_MAX 6

#define _XEN_NETIF_EXTRA_FLAG_MORE 0
#define XEN_NETIF_EXTRA_FLAG_MORE (1U << _XEN_NETIF_EXTRA_FLAG_MORE) /* another extra follows */

#define XEN_NETIF_GSO_TYPE_NONE 0
#define XEN_NETIF_GSO_TYPE_TCPV4 1
#define XEN_NETIF_GSO_TYPE_TCPV6 2
/* gso.features: no feature bits are defined; must be 0. */

/* hash.type: bit numbers of the hashed header set; hash.algorithm. */
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV4 0
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP 1
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6 2
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP 3
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6_EX 4
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP_EX 5
#define XEN_NETIF_CTRL_HASH_ALGORITHM_NONE 0
#define XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ 1

/* --- Wire structures ------------------------------------------------------------------- */

/* One tx slot: a piece of a packet in a granted page (slot 0: size is the packet's total). */
struct netif_tx_request {
    pv_grant_ref gref; /* grant of the page, read-only is enough */
    pv_u16 offset;     /* start of the piece in the page */
    pv_u16 flags;      /* NETTXF_* */
    pv_u16 id;         /* echoed in the response */
    pv_u16 size;       /* slot 0: total packet bytes; others: this piece's bytes */
};
PV_ASSERT_SIZE(struct netif_tx_request, 12);
PV_ASSERT_OFFSET(struct netif_tx_request, gref, 0);
PV_ASSERT_OFFSET(struct netif_tx_request, offset, 4);
PV_ASSERT_OFFSET(struct netif_tx_request, flags, 6);
PV_ASSERT_OFFSET(struct netif_tx_request, id, 8);
PV_ASSERT_OFFSET(struct netif_tx_request, size, 10);

struct netif_extra_gso {
    pv_u16 size;     /* MSS: payload bytes per segment, >= 1 */
    pv_u8 type;      /* XEN_NETIF_GSO_TYPE_TCPV4 / TCPV6 */
    pv_u8 pad;       /* zero */
    pv_u16 features; /* zero (no XEN_NETIF_GSO_FEAT_* defined) */
};
PV_ASSERT_SIZE(struct netif_extra_gso, 6);
PV_ASSERT_OFFSET(struct netif_extra_gso, type, 2);
PV_ASSERT_OFFSET(struct netif_extra_gso, features, 4);

struct netif_extra_mcast {
    pv_u8 addr[6]; /* Ethernet multicast address */
};
PV_ASSERT_SIZE(struct netif_extra_mcast, 6);

struct netif_extra_hash {
    pv_u8 type;      /* _XEN_NETIF_CTRL_HASH_TYPE_* bit number */
    pv_u8 algorithm; /* XEN_NETIF_CTRL_HASH_ALGORITHM_* */
    pv_u8 value[4];  /* the hash, little-endian */
};
PV_ASSERT_SIZE(struct netif_extra_hash, 6);
PV_ASSERT_OFFSET(struct netif_extra_hash, value, 2);

struct netif_extra_xdp {
    pv_u16 headroom; /* bytes reserved before the packet in the first rx page */
    pv_u16 pad[2];
};
PV_ASSERT_SIZE(struct netif_extra_xdp, 6);

/* An extra-info slot (tx: a request slot; rx: written over a response slot). */
struct netif_extra_info {
    pv_u8 type;  /* XEN_NETIF_EXTRA_TYPE_* */
    pv_u8 flags; /* XEN_NETIF_EXTRA_FLAG_* */
    union {
        struct netif_extra_gso gso;
        struct netif_extra_mcast mcast;
        struct netif_extra_hash hash;
        struct netif_extra_xdp xdp;
        pv_u16 pad[3];
    } u;
};
PV_ASSERT_SIZE(struct netif_extra_info, 8);
PV_ASSERT_OFFSET(struct netif_extra_info, flags, 1);
PV_ASSERT_OFFSET(struct netif_extra_info, u, 2);
PV_ASSERT_OFFSET(struct netif_extra_info, u.gso.size, 2);
PV_ASSERT_OFFSET(struct netif_extra_info, u.gso.type, 4);
PV_ASSERT_OFFSET(struct netif_extra_info, u.gso.features, 6);

struct netif_tx_response {
    pv_u16 id;     /* the slot's request id (meaningless for NETIF_RSP_NULL) */
    pv_s16 status; /* NETIF_RSP_* */
};
PV_ASSERT_SIZE(struct netif_tx_response, 4);
PV_ASSERT_OFFSET(struct netif_tx_response, status, 2);

/* A posted receive buffer: one whole page granted writable. */
struct netif_rx_request {
    pv_u16 id; /* echoed in the response */
    pv_u16 pad;
    pv_grant_ref gref;
};
PV_ASSERT_SIZE(struct netif_rx_request, 8);
PV_ASSERT_OFFSET(struct netif_rx_request, gref, 4);

struct netif_rx_response {
    pv_u16 id;     /* the request's id (in the request's own slot) */
    pv_u16 offset; /* first byte of data in the page */
    pv_u16 flags;  /* NETRXF_* */
    pv_s16 status; /* > 0: bytes in this page (offset + status <= 4096); < 0: NETIF_RSP_* */
};
PV_ASSERT_SIZE(struct netif_rx_response, 8);
PV_ASSERT_OFFSET(struct netif_rx_response, offset, 2);
PV_ASSERT_OFFSET(struct netif_rx_response, flags, 4);
PV_ASSERT_OFFSET(struct netif_rx_response, status, 6);

/* Ring slots (pv/ring.h PV_RING_DECLARE). A tx slot may also hold a netif_extra_info
 * request; an rx slot a netif_extra_info response. */
PV_RING_DECLARE(netif_tx, struct netif_tx_request, struct netif_tx_response);
PV_RING_DECLARE(netif_rx, struct netif_rx_request, struct netif_rx_response);
PV_ASSERT_SIZE(union netif_tx_sring_entry, 12);
PV_ASSERT_SIZE(union netif_rx_sring_entry, 8);
PV_STATIC_ASSERT(sizeof(struct netif_extra_info) <= sizeof(union netif_tx_sring_entry),
                 "extra info fits a tx slot");
PV_STATIC_ASSERT(sizeof(struct netif_extra_info) == sizeof(union netif_rx_sring_entry),
                 "extra info fills an rx slot");
#define PV_NETIF_TX_RING_SIZE PV_RING_SIZE(PV_RING_BYTES(1U), 12U)
#define PV_NETIF_RX_RING_SIZE PV_RING_SIZE(PV_RING_BYTES(1U), 8U)
PV_STATIC_ASSERT(PV_NETIF_TX_RING_SIZE == 256U, "one-page tx ring: 336 fit, 256 used");
PV_STATIC_ASSERT(PV_NETIF_RX_RING_SIZE == 256U, "one-page rx ring: 504 fit, 256 used");
/* A maximal packet (64 KiB) fits the rx ring with room to spare: 17 pages + 1 extra. */
PV_STATIC_ASSERT((XEN_NETIF_MAX_TX_SIZE / PV_NETIF_PAGE_SIZE) + 2U <= XEN_NETIF_NR_SLOTS_MIN,
                 "largest packet in 18 rx slots");

/*
 * Feature and parameter negotiation (xenstore keys)
 * ================================================
 * Backend nodes: backend/vif/<frontend-domid>/<handle>/
 *
 * mac             Values: "xx:xx:xx:xx:xx:xx", the guest's (frontend's) MAC.  Notes: required.
 * feature-sg      Values: 0 | 1.  Default: 0.  Notes: the backend accepts tx packets of
 *                 more than one data slot. pvisor: 1.
 * feature-gso-tcpv4   Values: 0 | 1.  Default: 0.  Notes: the backend accepts tx packets with
 *                 a GSO extra of type TCPV4 (needs feature-sg). pvisor: 1.
 * feature-gso-tcpv6   Values: 0 | 1.  Default: 0.  Notes: the same for TCPV6. pvisor: 1.
 * feature-ipv6-csum-offload  Values: 0 | 1.  Default: 0.  Notes: the backend completes
 *                 NETTXF_csum_blank for IPv6 (IPv4 always). pvisor: 1.
 * feature-rx-copy Values: 0 | 1.  Default: 0.  Notes: the backend copies into posted pages
 *                 (the only rx mode pvisor implements; rx flipping is obsolete). pvisor: 1.
 * feature-rx-flip Values: 0 | 1.  Default: 0.  pvisor: 0.
 * feature-split-event-channels  Values: 0 | 1.  Default: 0.  pvisor: 0 (one channel).
 * feature-multicast-control  Values: 0 | 1.  Default: 0.  pvisor: 0 (the tap passes all).
 * feature-ctrl-ring   Values: 0 | 1.  Default: 0.  pvisor: 0.
 * multi-queue-max-queues  Values: 1..PV_NETIF_MAX_QUEUES.  Default: 1.
 * online, state   as for every backend.
 *
 * Frontend nodes: device/vif/<handle>/
 *
 * tx-ring-ref, rx-ring-ref   Values: grant refs of the one-page rings (per queue, see below).
 * event-channel   Values: port serving both rings of the queue.
 * request-rx-copy Values: 0 | 1.  Default: 0.  Notes: must be 1 for a pvisor backend
 *                 (the backend refuses to connect otherwise).
 * feature-rx-notify  Values: 0 | 1.  Default: 0.  Notes: the frontend notifies after posting
 *                 rx buffers (Linux always does). With 0 a pvisor backend looks for new rx
 *                 buffers only when woken otherwise (tx kicks, frames from the host).
 * feature-sg      Values: 0 | 1.  Default: 0.  Notes: the frontend accepts rx packets
 *                 spanning several slots; without it rx packets are at most one page.
 * feature-gso-tcpv4  Values: 0 | 1.  Default: 0.  Notes: the frontend accepts rx packets
 *                 with a GSO extra of type TCPV4 (needs feature-sg).
 * feature-gso-tcpv6  Values: 0 | 1.  Default: 0.  Notes: the same for TCPV6.
 * feature-no-csum-offload    Values: 0 | 1.  Default: 0.  Notes: 1 = the frontend cannot
 *                 take NETRXF_csum_blank for IPv4: the backend completes checksums first.
 * feature-ipv6-csum-offload  Values: 0 | 1.  Default: 0.  Notes: 1 = the frontend takes
 *                 NETRXF_csum_blank for IPv6 too.
 * multi-queue-num-queues  Values: 1..multi-queue-max-queues.  Default: 1.  Notes: with more
 *                 than one queue each queue's tx-ring-ref, rx-ring-ref and event-channel are
 *                 under queue-<i>/ and not at the top level.
 */
#define NETIF_KEY_MAC "mac"
#define NETIF_KEY_FEATURE_SG "feature-sg"
#define NETIF_KEY_FEATURE_GSO_TCPV4 "feature-gso-tcpv4"
#define NETIF_KEY_FEATURE_GSO_TCPV6 "feature-gso-tcpv6"
#define NETIF_KEY_FEATURE_IPV6_CSUM "feature-ipv6-csum-offload"
#define NETIF_KEY_FEATURE_NO_CSUM "feature-no-csum-offload"
#define NETIF_KEY_FEATURE_RX_COPY "feature-rx-copy"
#define NETIF_KEY_FEATURE_RX_FLIP "feature-rx-flip"
#define NETIF_KEY_FEATURE_RX_NOTIFY "feature-rx-notify"
#define NETIF_KEY_FEATURE_SPLIT_EVTCHN "feature-split-event-channels"
#define NETIF_KEY_FEATURE_MCAST_CONTROL "feature-multicast-control"
#define NETIF_KEY_FEATURE_CTRL_RING "feature-ctrl-ring"
#define NETIF_KEY_MQ_MAX_QUEUES "multi-queue-max-queues"
#define NETIF_KEY_MQ_NUM_QUEUES "multi-queue-num-queues"
#define NETIF_KEY_REQUEST_RX_COPY "request-rx-copy"
#define NETIF_KEY_TX_RING_REF "tx-ring-ref"
#define NETIF_KEY_RX_RING_REF "rx-ring-ref"
#define NETIF_KEY_EVENT_CHANNEL "event-channel"

#endif /* PV_NETIF_H */
