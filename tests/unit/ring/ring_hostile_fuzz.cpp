// ring_hostile_fuzz.cpp: libFuzzer target: the backend's ring logic against a frontend the input
// plays.
//
// The input is a script of operations: the hostile side writes any shared index or slot
// byte, the backend consumes, answers, pushes and final-checks. Checked after every step:
// no access outside the ring (ASan, exact-size allocation), the backend's private
// invariant rsp_prod_pvt <= req_cons <= rsp_prod_pvt + S, and that an overflowing or
// backwards req_prod is refused and marks the ring broken for good.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <pv/ring_ops.h>
#include <vector>

namespace {

struct Script {
    const std::uint8_t* data;
    std::size_t size;
    std::size_t pos = 0;

    bool more() const { return pos < size; }
    std::uint8_t byte() { return pos < size ? data[pos++] : 0; }
    pv_u32 u32() {
        pv_u32 v = 0;
        for (int i = 0; i < 4; ++i) {
            v = (v << 8) | byte();
        }
        return v;
    }
};

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

// What the backend must conclude about the current req_prod, computed independently.
bool hostile_prod(const pv_back_ring& r, pv_u32 prod) {
    const std::uint64_t ahead = static_cast<pv_u32>(prod - r.rsp_prod_pvt);
    const std::uint64_t consumed = static_cast<pv_u32>(r.req_cons - r.rsp_prod_pvt);
    return ahead > r.size || ahead < consumed;
}

void step(Script* in, pv_back_ring* r, std::uint8_t* ring, pv_u32 bytes) {
    std::uint8_t copy[256];
    switch (in->byte() % 8) {
    case 0: // the frontend moves req_prod anywhere, mostly near the backend's indices
        r->sring->req_prod = r->req_cons + (in->u32() % 2 ? in->u32() : in->byte() % 80U) - 8U;
        break;
    case 1: { // the frontend scribbles over shared bytes (slots or header)
        const pv_u32 at = in->u32() % bytes;
        ring[at] = in->byte();
        break;
    }
    case 2: { // the backend consumes one request
        const bool was_broken = r->broken != 0;
        const bool bad = hostile_prod(*r, r->sring->req_prod);
        const pv_u32 before = r->req_cons;
        const int n = pv_back_consume_request(r, copy, in->byte());
        if (was_broken || bad) {
            check(n == -1 && r->broken && r->req_cons == before);
        } else {
            check(n == 0 || n == 1);
            check(r->req_cons == before + static_cast<pv_u32>(n));
        }
        break;
    }
    case 3: { // the backend answers one consumed request
        const pv_u32 before = r->rsp_prod_pvt;
        std::memset(copy, 0x5a, sizeof(copy));
        const int n = pv_back_produce_response(r, copy, in->byte());
        check(n == 0 ? r->rsp_prod_pvt == before + 1U : r->rsp_prod_pvt == r->req_cons);
        break;
    }
    case 4:
        (void)pv_back_push_responses(r);
        check(r->sring->rsp_prod == r->rsp_prod_pvt);
        break;
    case 5: {
        const int n = pv_back_final_check_for_requests(r);
        check(n >= -1 && n <= 1 && (n == -1) == (r->broken != 0));
        break;
    }
    case 6: // the frontend plays with the event indices (trusted by nobody)
        r->sring->req_event = in->u32();
        r->sring->rsp_event = in->u32();
        break;
    default: // the frontend rewrites the backend's published rsp_prod
        r->sring->rsp_prod = in->u32();
        break;
    }
    check(static_cast<pv_u32>(r->req_cons - r->rsp_prod_pvt) <= r->size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const pv_u32 kEntrySizes[] = {8, 16, 64, 112, 200, 4032};
    Script in{data, size};
    const pv_u32 pages = 1U + in.byte() % 4U;
    const pv_u32 entry = kEntrySizes[in.byte() % 6U];
    const pv_u32 bytes = PV_RING_BYTES(pages);
    std::vector<std::uint8_t> ring(bytes); // exact size: ASan sees any slot outside it
    pv_sring_init_at(ring.data(), bytes, in.u32());
    pv_back_ring r{};
    check(pv_back_ring_attach(&r, ring.data(), bytes, entry) == 0);
    check(r.size != 0 && (r.size & (r.size - 1U)) == 0 &&
          PV_RING_HEADER_SIZE + r.size * entry <= bytes && 2U * r.size * entry > bytes - 64U);
    while (in.more()) {
        step(&in, &r, ring.data(), bytes);
    }
    return 0;
}
