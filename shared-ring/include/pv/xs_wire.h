/* pv/xs_wire.h: the config store protocol (Xen's io/xs_wire.h, xenstore.txt, xenstore-ring.txt). */
#ifndef PV_XS_WIRE_H
#define PV_XS_WIRE_H

#include "abi_types.h"

/*
 * Messages
 * --------
 * Every message, in both directions, is a 16-byte header followed by `len` payload bytes.
 * len <= XENSTORE_PAYLOAD_MAX; a larger len makes the server drop (socket) or break (ring,
 * error = XENSTORE_ERROR_PROTO) the connection, because the stream cannot be resynchronised.
 * A reply carries the request's type, req_id and tx_id (req_id is opaque to the server; match
 * replies on it). A failed request is answered with type XS_ERROR and the error's *name* as a
 * NUL-terminated payload ("ENOENT\0"); a plain success is "OK\0".
 *
 * Payloads ("\0" = one NUL byte; a path is absolute "/a/b" or relative "a/b", see Paths):
 *   XS_READ            path\0                -> value bytes (no terminator)
 *   XS_WRITE           path\0value           -> OK; value has no terminator; missing parents
 *                                               are created with the parent's permissions
 *   XS_MKDIR           path\0                -> OK; an existing node is not an error
 *   XS_RM              path\0                -> OK; removes the whole subtree; the root cannot
 *                                               be removed (EINVAL); a missing node whose
 *                                               parent exists is OK, else ENOENT
 *   XS_DIRECTORY       path\0                -> child names, each followed by \0
 *   XS_GET_PERMS       path\0                -> perms, each "<letter><domid>\0" (see Permissions)
 *   XS_SET_PERMS       path\0perm\0perm\0... -> OK
 *   XS_WATCH           path\0token\0         -> OK, then one XS_WATCH_EVENT at once
 *   XS_UNWATCH         path\0token\0         -> OK (ENOENT if no such watch)
 *   XS_WATCH_EVENT     (server only) path\0token\0 with req_id = tx_id = 0
 *   XS_TRANSACTION_START  "\0" (tx_id 0)     -> decimal transaction id + \0
 *   XS_TRANSACTION_END "T\0" commit | "F\0" abort, header tx_id = the transaction
 *                                            -> OK, or EAGAIN: another change conflicted and
 *                                               none of the transaction's writes took effect;
 *                                               the client redoes the whole transaction
 *   XS_GET_DOMAIN_PATH domid\0               -> "/local/domain/<domid>\0"
 *   XS_INTRODUCE       domid\0gfn\0port\0    -> control domain only
 *   XS_RELEASE         domid\0               -> control domain only
 *   XS_RESET_WATCHES   (empty or "\0")       -> OK; drops all of the connection's watches
 * Ordering: replies come in request order; the watch events a request causes (and the first
 * event of a new watch) follow its reply. Events of a transaction fire at its commit.
 * A request carrying tx_id != 0 runs inside that transaction: it sees the transaction's view
 * and its changes stay private until commit. An unknown tx_id is ENOENT. An unknown or
 * server-only type is answered with EINVAL.
 */
struct xsd_sockmsg {
    pv_u32 type;   /* XS_* */
    pv_u32 req_id; /* echoed in the reply; 0 in watch events */
    pv_u32 tx_id;  /* transaction, 0 = none; echoed in the reply; 0 in watch events */
    pv_u32 len;    /* payload bytes that follow, <= XENSTORE_PAYLOAD_MAX */
};
PV_ASSERT_SIZE(struct xsd_sockmsg, 16);
PV_ASSERT_OFFSET(struct xsd_sockmsg, req_id, 4);
PV_ASSERT_OFFSET(struct xsd_sockmsg, tx_id, 8);
PV_ASSERT_OFFSET(struct xsd_sockmsg, len, 12);

#define XS_CONTROL 0 /* control domain only: "stats\0" -> counters, "name value\n" lines */
#define XS_DIRECTORY 1
#define XS_READ 2
#define XS_GET_PERMS 3
#define XS_WATCH 4
#define XS_UNWATCH 5
#define XS_TRANSACTION_START 6
#define XS_TRANSACTION_END 7
#define XS_INTRODUCE 8
#define XS_RELEASE 9
#define XS_GET_DOMAIN_PATH 10
#define XS_WRITE 11
#define XS_MKDIR 12
#define XS_RM 13
#define XS_SET_PERMS 14
#define XS_WATCH_EVENT 15
#define XS_ERROR 16
#define XS_IS_DOMAIN_INTRODUCED 17 /* not served: EINVAL */
#define XS_RESUME 18               /* not served: EINVAL */
#define XS_SET_TARGET 19           /* not served: EINVAL */
#define XS_RESET_WATCHES 21
#define XS_TYPE_COUNT 23

/*
 * Error names, in Xen's table order (index = position in xsd_errors[]). Only the name
 * travels on the wire; a client maps it back to its own errno. The X-macro keeps the order
 * in one place: PV_XS_ERRORS(X) expands X(name) once per error.
 */
#define PV_XS_ERRORS(X)                                                                        \
    X(EINVAL) X(EACCES) X(EEXIST) X(EISDIR) X(ENOENT) X(ENOMEM) X(ENOSPC) X(EIO)             \
    X(ENOTEMPTY) X(ENOSYS) X(EROFS) X(EBUSY) X(EAGAIN) X(EISCONN) X(E2BIG) X(EPERM)
#define XS_ERROR_COUNT 16

/*
 * Limits.
 *   payload: XENSTORE_PAYLOAD_MAX bytes per message, either direction.
 *   paths:   an absolute path is at most XENSTORE_ABS_PATH_MAX bytes, a relative one at most
 *            XENSTORE_REL_PATH_MAX (both without the NUL). Characters: [A-Za-z0-9-/_@];
 *            no "//", no trailing "/" except the root "/" itself. Special watch paths start
 *            with '@' (@introduceDomain, @releaseDomain). Invalid paths are EINVAL.
 * pvisor's quotas (per domain unless noted; the control domain is exempt from node quotas):
 *   nodes owned by a domain            PV_XS_QUOTA_NODES          -> ENOSPC
 *   value size                         PV_XS_QUOTA_VALUE_BYTES    -> ENOSPC
 *   watches per connection             PV_XS_QUOTA_WATCHES        -> E2BIG
 *   open transactions per connection   PV_XS_QUOTA_TRANSACTIONS   -> ENOSPC
 *   permission entries per node        PV_XS_QUOTA_PERMS          -> ENOSPC
 * (the errors are the ones Xen's C xenstored returns for the same quotas.)
 */
#define XENSTORE_PAYLOAD_MAX 4096U
#define XENSTORE_ABS_PATH_MAX 3072U
#define XENSTORE_REL_PATH_MAX 2048U
#define PV_XS_QUOTA_NODES 1000U
#define PV_XS_QUOTA_VALUE_BYTES 2048U
#define PV_XS_QUOTA_WATCHES 128U
#define PV_XS_QUOTA_TRANSACTIONS 10U
#define PV_XS_QUOTA_PERMS 5U

/*
 * Paths and domains
 * -----------------
 * A relative path resolves under /local/domain/<domid> of the connection's domain; watch
 * events for a watch registered with a relative path report relative paths. pvisor's
 * toolstack (the store itself, at domain creation) publishes for each guest <id>:
 *   /local/domain/<id>                 owner <id>, others none ("n<id>"); dom0 reads all
 *   /local/domain/<id>/name            the guest's name
 *   /local/domain/<id>/domid           "<id>"
 *   /local/domain/<id>/control/        shutdown (written by the host: "poweroff", "reboot"),
 *                                      feature-poweroff = "1", feature-reboot = "1"
 *   /local/domain/<id>/device/         frontends: device/<type>/<devid>/...
 *   /local/domain/<id>/data/           free for the guest
 *   /local/domain/0/backend/<type>/<id>/<devid>/   backends (owner 0, guest may read)
 *
 * Permissions
 * -----------
 * A node's permissions are a list of "<letter><domid>" entries. The first entry names the
 * owner, who always has full access; its letter is the default for every domain not listed
 * afterwards. Letters: 'r' read, 'w' write, 'b' both, 'n' none. The control domain (0) has
 * full access everywhere. Only the owner (or the control domain) may change permissions; only
 * the control domain may change the owner. A new node inherits its parent's list; when a
 * guest creates it, the guest becomes its owner. A guest that cannot read a node gets EACCES,
 * also for a missing node whose nearest existing ancestor it cannot read (existence does not
 * leak). Watches fire only for nodes the watcher may read.
 */
#define XS_PERM_NONE 'n'
#define XS_PERM_READ 'r'
#define XS_PERM_WRITE 'w'
#define XS_PERM_BOTH 'b'

/*
 * Split-driver connection states: the "state" key of a frontend
 * (/local/domain/<id>/device/<type>/<devid>/state) and of its backend
 * (/local/domain/0/backend/<type>/<id>/<devid>/state), written as a decimal string. Each side
 * writes only its own state and watches the other's.
 *
 *   Frontend                                 Backend
 *   Initialising (1): driver probed          Initialising (1): toolstack created the nodes
 *                                            writes features (e.g. feature-*), then
 *                                            InitWait (2): ready for the frontend's details
 *   sees InitWait; allocates and grants
 *   rings, binds event channels, writes
 *   ring-ref / event-channel / protocol, then
 *   Initialised (3)
 *                                            sees Initialised; maps rings, binds channels,
 *                                            writes device details (sectors, mac, ...), then
 *                                            Connected (4)
 *   sees Connected; reads details, then
 *   Connected (4): I/O flows
 *   Closing (5): either side starts teardown; the peer stops issuing work, answers
 *                outstanding requests, writes Closing and then Closed
 *   Closed (6): the side has released rings and channels
 *   A backend restart: the new backend writes InitWait again; a frontend in Connected or
 *   Closed that sees InitWait goes back to Initialising and redoes the handshake.
 */
#define XenbusStateUnknown 0
#define XenbusStateInitialising 1
#define XenbusStateInitWait 2
#define XenbusStateInitialised 3
#define XenbusStateConnected 4
#define XenbusStateClosing 5
#define XenbusStateClosed 6
#define XenbusStateReconfiguring 7
#define XenbusStateReconfigured 8

/*
 * Guest ring page
 * ---------------
 * One page at HVM_PARAM_STORE_PFN (pv/hvm.h), notified through HVM_PARAM_STORE_EVTCHN. The
 * server (pvisor) initialises it before the guest boots: indices 0, server_features, and
 * evtchn_port. Both rings are byte streams of XENSTORE_RING_SIZE bytes with free-running u32
 * indices: the byte at stream offset x is at ring[x % XENSTORE_RING_SIZE]. Messages may wrap
 * and may be split over several notifications.
 *   req: guest produces (req_prod), server consumes (req_cons).
 *   rsp: server produces (rsp_prod), guest consumes (rsp_cons).
 * A producer copies the bytes, wmb (the peer sees the bytes before the index), advances its
 * producer index, then notifies. A consumer reads the producer index, rmb (it reads the bytes
 * only after seeing the index), copies the bytes out, mb (its reads finish before the slot is
 * reused), advances its consumer index, then notifies. (prod - cons) > XENSTORE_RING_SIZE is
 * a broken peer: the server sets error = XENSTORE_ERROR_RINGIDX, counts it and stops serving
 * the ring until a reconnect.
 *
 * Reconnect (server_features & XENSTORE_SERVER_FEATURE_RECONNECTION): the guest sets
 * connection = XENSTORE_RECONNECT and notifies. The server drops the connection's watches,
 * transactions and partial messages, zeroes the four indices and error, then sets
 * connection = XENSTORE_CONNECTED and notifies.
 */
#define XENSTORE_RING_SIZE 1024U
typedef pv_u32 XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1U))

struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE]; /* guest -> server */
    char rsp[XENSTORE_RING_SIZE]; /* server -> guest */
    XENSTORE_RING_IDX req_cons;
    XENSTORE_RING_IDX req_prod;
    XENSTORE_RING_IDX rsp_cons;
    XENSTORE_RING_IDX rsp_prod;
    pv_u32 server_features; /* XENSTORE_SERVER_FEATURE_*, written by the server only */
    pv_u32 connection;      /* XENSTORE_CONNECTED / XENSTORE_RECONNECT */
    pv_u32 error;           /* XENSTORE_ERROR_*, written by the server only */
    pv_u32 evtchn_port;     /* the guest's port to the server */
};
PV_ASSERT_SIZE(struct xenstore_domain_interface, 2080);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, rsp, 1024);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, req_cons, 2048);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, req_prod, 2052);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, rsp_cons, 2056);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, rsp_prod, 2060);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, server_features, 2064);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, connection, 2068);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, error, 2072);
PV_ASSERT_OFFSET(struct xenstore_domain_interface, evtchn_port, 2076);

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1U /* connection field honoured */
#define XENSTORE_SERVER_FEATURE_ERROR 2U        /* error field reported */
#define XENSTORE_SERVER_FEATURE_WATCHDEPTH 4U   /* not offered by pvisor */

#define XENSTORE_CONNECTED 0U
#define XENSTORE_RECONNECT 1U

#define XENSTORE_ERROR_NONE 0U
#define XENSTORE_ERROR_COMM 1U    /* generic communication error */
#define XENSTORE_ERROR_RINGIDX 2U /* (prod - cons) exceeded the ring size */
#define XENSTORE_ERROR_PROTO 3U   /* malformed message (e.g. len > XENSTORE_PAYLOAD_MAX) */

#endif /* PV_XS_WIRE_H */
