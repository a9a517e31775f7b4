// blk_request_fuzz.cpp: libFuzzer target: hostile ring slots and grant entries through the
// request parser and the grant library; accepted requests must satisfy every invariant.
#include "blk_request.hpp"
#include "frontend_model.hpp"

#include <cstdlib>
#include <cstring>

using namespace pvisor;
using namespace pvisor::backend;

namespace {

struct World {
    testing::FakeGuest guest;
    GrantTableView grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    BlkParse parse;
};

World& world() {
    static World* w = new World(); // lives for the whole run (libFuzzer never returns)
    return *w;
}

void check_accepted(const BlkRequest& r, const BlkDiskLimits& lim, GrantTableView& grants) {
    if (r.op != BlkOp::discard && r.nr_sectors > 0 &&
        (r.sector > lim.capacity_sectors || r.nr_sectors > lim.capacity_sectors - r.sector))
        std::abort();
    if (r.nr_segments > kBlkMaxSegments)
        std::abort();
    const GrantUse use = r.op == BlkOp::read ? GrantUse::write : GrantUse::read;
    for (std::uint32_t i = 0; i < r.nr_segments; ++i) {
        if (r.seg[i].first_sect > r.seg[i].last_sect || r.seg[i].last_sect > 7)
            std::abort();
        auto pin = grants.pin(r.seg[i].gref, use);
        if (pin.ok() && pin->page().size() != kPageSize)
            std::abort();
    }
    if (grants.pinned_refs() != 0)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    World& w = world();
    // First 64 bytes: 8 grant entries (refs 8..15), written as the guest would.
    const std::size_t nr_entries = size < 64 ? size / 8 : 8;
    for (std::size_t i = 0; i < nr_entries; ++i) {
        grant_entry_v1 e;
        std::memcpy(&e, data + i * 8, 8);
        e.frame %= 0x3000; // mostly inside the 32 MiB RAM, sometimes past it
        e.flags &= static_cast<std::uint16_t>(~(GTF_reading | GTF_writing));
        w.guest.set_entry(static_cast<pv_grant_ref>(8 + i), e.flags, e.domid, e.frame);
    }
    BlkDiskLimits lim;
    lim.capacity_sectors = 2048;
    lim.read_only = size % 2 == 1;
    for (std::size_t off = nr_entries * 8; off + sizeof(blkif_request_any) <= size;
         off += sizeof(blkif_request_any)) {
        blkif_request_any slot;
        std::memcpy(&slot, data + off, sizeof slot);
        parse_blk_request(slot, lim, w.grants, w.parse);
        if (const auto* r = std::get_if<BlkRequest>(&w.parse))
            check_accepted(*r, lim, w.grants);
    }
    return 0;
}
