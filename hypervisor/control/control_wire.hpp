// control_wire.hpp: the control socket's wire format (version 1), shared by pvisor and backends.
#pragma once

// Every message is one SOCK_SEQPACKET datagram holding exactly one of the structs below, in
// host (little-endian x86-64) byte order, with no padding the compiler chooses: each struct
// spells its padding as `reserved` fields, which must be zero. docs/abi.md describes it.

#include <cstdint>

namespace pvisor::ctl {

inline constexpr std::uint32_t kMagic = 0x54435650; // "PVCT"
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::uint16_t kReplyFlag = 0x8000; // reply op = request op | kReplyFlag
inline constexpr std::uint32_t kMaxRegions = 8;
inline constexpr std::uint32_t kMaxGrantFrames = 64;
inline constexpr std::uint32_t kDevicePathLen = 128; // NUL-terminated, may be empty
inline constexpr std::uint32_t kSocketPathLen = 108; // sun_path size

enum class Op : std::uint16_t {
    attach = 1,       // -> AttachReply + memfd
    grant_frames = 2, // -> GrantFramesReply
    bind = 3,         // -> BindReply + notify eventfd + raise eventfd
    unbind = 4,       // -> Reply
    pin_journal = 5,  // -> PinJournalReply + journal memfd (since this op; older pvisor:
                      //    -EOPNOTSUPP, and the backend runs without a journal)
    store_ring = 6,   // -> StoreRingReply + notify eventfd + raise eventfd (the toolstack's
                      //    store takes over the guest's store ring; -EOPNOTSUPP when the VMM
                      //    serves its own store, -EBUSY while another client holds it)
};

struct Header {
    std::uint32_t magic;
    std::uint16_t version;
    std::uint16_t op;
    std::uint32_t seq; // echoed in the reply
    std::uint32_t len; // total message length in bytes, header included
};
static_assert(sizeof(Header) == 16);

// Must be the first request. `device`: the store directory of the device this backend
// serves (e.g. "backend/vbd/1/51712"), or empty; when the connection closes pvisor writes
// <device>/state = 5 (Closing) then 6 (Closed), as xl does for a backend that went away.
struct AttachRequest {
    Header hdr;
    char device[kDevicePathLen];
};
static_assert(sizeof(AttachRequest) == 144);

struct GrantFramesRequest {
    Header hdr;
};

// PIN_JOURNAL: asks for this connection's pin journal (see PinJournalReply). Asking again
// hands out the same journal.
struct PinJournalRequest {
    Header hdr;
};

// STORE_RING: the caller (the toolstack, which holds the store of every domain) serves the
// guest's xenstore ring from now on, as xenstored does: the page is at `page_gpa` in the memfd
// ATTACH handed out, the guest's sends on `port` signal fd [0], writing fd [1] raises `port`.
// The ring is the caller's until its connection closes; then the next caller may take it,
// finding the ring as the guest left it.
struct StoreRingRequest {
    Header hdr;
};
// BIND and UNBIND: `port` is a guest port that the frontend allocated with
// EVTCHNOP_alloc_unbound(remote_dom = 0).
struct PortRequest {
    Header hdr;
    std::uint32_t port;
    std::uint32_t reserved;
};
static_assert(sizeof(PortRequest) == 24);

// Every reply starts with this; status is 0 or a negative Linux errno.
struct Reply {
    Header hdr;
    std::int32_t status;
    std::uint32_t nfds; // file descriptors passed with SCM_RIGHTS alongside
};
static_assert(sizeof(Reply) == 24);

struct Region {
    std::uint64_t gpa;
    std::uint64_t size;
    std::uint64_t memfd_offset;
    std::uint32_t is_ram; // 0: pvisor-owned pages (special pages)
    std::uint32_t reserved;
};
static_assert(sizeof(Region) == 32);

// The memfd comes as the one passed fd. ram_bytes/extra_gpa/extra_pages are the arguments
// GuestMemory::from_memfd needs to rebuild `regions`.
struct AttachReply {
    Reply r;
    std::uint16_t domid;
    std::uint16_t reserved0;
    std::uint32_t nr_regions;
    std::uint64_t ram_bytes;
    std::uint64_t extra_gpa;
    std::uint64_t extra_pages;
    char store_socket[kSocketPathLen]; // NUL-terminated
    std::uint32_t reserved1;
    Region regions[kMaxRegions];
};
static_assert(sizeof(AttachReply) == 424);

struct GrantFramesReply {
    Reply r;
    std::uint32_t nr_frames;
    std::uint32_t reserved;
    std::uint64_t gpas[kMaxGrantFrames]; // frame i holds grant refs [i*512, (i+1)*512)
};
static_assert(sizeof(GrantFramesReply) == 24 + 8 + 8 * 64);

// fds: [0] notify (pvisor signals it on each guest send), [1] raise (the backend writes it to
// notify the guest on `port`).
struct BindReply {
    Reply r;
    std::uint32_t port;
    std::uint32_t reserved;
};
static_assert(sizeof(BindReply) == 32);

struct StoreRingReply {
    Reply r;
    std::uint32_t port;
    std::uint32_t reserved;
    std::uint64_t page_gpa;
};
static_assert(sizeof(StoreRingReply) == 40);
// The pin journal: a memfd of `bytes` bytes (sealed against shrinking and growing) that the
// backend maps MAP_SHARED and keeps, per grant ref r < nr_entries, kPinJournalBitsPerRef bits
// in little-endian u64 word r / 32: bit 2 * (r % 32) is set while the backend holds
// GTF_reading in entry r, bit 2 * (r % 32) + 1 while it holds GTF_writing. The backend sets a
// bit (atomic OR) before the cmpxchg that sets the flag in the guest's entry and clears it
// (atomic AND) after it cleared the flag, so the journal always covers the flags it holds.
// When the connection closes (exit, crash, kill -9), pvisor clears every flag the journal
// names in the guest's grant table, except flags another still-connected backend's journal
// also names: Xen's hypervisor does the same with the maptrack of a domain that died. The
// journal is backend-written and untrusted: pvisor range-checks every ref against the
// placed grant frames and never reads anything else from it.
inline constexpr std::uint32_t kPinJournalBitsPerRef = 2;
inline constexpr std::uint32_t kPinJournalRefsPerWord = 64 / kPinJournalBitsPerRef;
inline constexpr std::uint32_t kPinJournalEntries = kMaxGrantFrames * 512;
inline constexpr std::uint64_t kPinJournalBytes =
    (kPinJournalEntries / kPinJournalRefsPerWord) * sizeof(std::uint64_t);
static_assert(kPinJournalBytes == 8192);

// fds: [0] the journal memfd.
struct PinJournalReply {
    Reply r;
    std::uint32_t nr_entries;   // refs the journal covers (kPinJournalEntries)
    std::uint32_t bits_per_ref; // kPinJournalBitsPerRef
    std::uint64_t bytes;        // memfd size; whole u64 words
};
static_assert(sizeof(PinJournalReply) == 40);

// The largest datagram either side accepts.
inline constexpr std::uint32_t kMaxMessage = sizeof(GrantFramesReply);

} // namespace pvisor::ctl
