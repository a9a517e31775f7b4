// xs_fuzz.cpp: libFuzzer target: hostile byte streams through the message parser, the engine
// (three connections: dom0 and two guests) and the guest ring with scribbled indices.
#include "store_protocol.hpp"
#include "store_ring.hpp"

#include <cstring>

using namespace pvisor::store;

namespace {

// Every reply stream the server produces must parse back into whole, valid messages.
void check_replies(const std::string& out) {
    MessageReader r;
    auto rest = std::as_bytes(std::span(out));
    while (!rest.empty()) {
        rest = rest.subspan(r.feed(rest));
        if (r.broken() || !r.has_message())
            __builtin_trap();
        const XsMessage m = r.take();
        if (m.hdr.type == XS_WATCH_EVENT && (m.hdr.req_id != 0 || m.hdr.tx_id != 0))
            __builtin_trap();
    }
}

struct Harness {
    Harness() : store(limits()) {
        (void)store.introduce_domain(1, "g1");
        (void)store.introduce_domain(2, "g2");
        (void)store.add_device(1, "vif", 0);
        for (int i = 0; i < 3; ++i)
            conns[i] = store.connect(static_cast<DomId>(i));
        std::memset(page, 0, sizeof page);
        auto r = StoreRing::create(std::as_writable_bytes(std::span(page)), store, 1, 1, [] {});
        if (!r)
            __builtin_trap();
        ring = std::move(*r);
    }
    static StoreLimits limits() {
        StoreLimits l;
        l.nodes_per_domain = 64;
        l.pending_events_per_conn = 64;
        return l;
    }
    void socket_chunk(int who, std::span<const std::byte> in) {
        std::string out;
        while (!in.empty()) {
            in = in.subspan(readers[who].feed(in));
            if (readers[who].broken()) { // the socket transport drops such a client
                store.disconnect(conns[who]);
                conns[who] = store.connect(static_cast<DomId>(who));
                readers[who].reset();
                break;
            }
            if (readers[who].has_message())
                serve_message(store, conns[who], readers[who].take(), out);
        }
        append_events(store, conns[who], out, 1 << 20);
        check_replies(out);
    }
    // A hostile guest: writes bytes into the request ring, sometimes scribbles indices.
    void ring_chunk(std::uint8_t how, std::span<const std::byte> in) {
        auto* i = reinterpret_cast<xenstore_domain_interface*>(page);
        if ((how & 0x10) != 0 && in.size() >= 4) {
            std::uint32_t v;
            std::memcpy(&v, in.data(), 4);
            (how & 0x20 ? i->req_prod : i->rsp_cons) = v;
        } else if ((how & 0x40) != 0) {
            i->connection = XENSTORE_RECONNECT;
        } else {
            for (std::size_t k = 0; k < in.size(); ++k)
                i->req[MASK_XENSTORE_IDX(i->req_prod + k)] = static_cast<char>(in[k]);
            i->req_prod += static_cast<std::uint32_t>(in.size());
        }
        for (int n = 0; n < 4 && ring->process(); ++n) {
        }
        i->rsp_cons = i->rsp_prod; // the guest consumes everything
    }

    Store store;
    ConnId conns[3]{};
    MessageReader readers[3];
    alignas(4096) unsigned char page[4096];
    std::unique_ptr<StoreRing> ring;
};

} // namespace

// Input: chunks of [selector][length][length bytes]; selector % 4 picks dom0, guest 1,
// guest 2 (socket-style streams) or the guest ring.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Harness h;
    std::span<const std::byte> in = std::as_bytes(std::span(data, size));
    while (in.size() >= 2) {
        const auto sel = static_cast<std::uint8_t>(in[0]);
        const std::size_t len =
            std::min<std::size_t>(static_cast<std::uint8_t>(in[1]) * 8U, in.size() - 2);
        const auto chunk = in.subspan(2, len);
        in = in.subspan(2 + len);
        if (sel % 4 == 3)
            h.ring_chunk(sel, chunk);
        else
            h.socket_chunk(sel % 4, chunk);
    }
    return 0;
}
