// net_test_util.hpp: frame builders, checksums and a one-queue net backend rig for the tests.
#pragma once

#include "blk_test_util.hpp"
#include "net_backend.hpp"
#include "net_frontend_model.hpp"
#include "tap_device.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <thread>
#include <vector>

namespace pvisor::backend::testing {

inline void put16(std::vector<std::byte>& f, std::size_t at, std::uint16_t v) {
    f[at] = static_cast<std::byte>(v >> 8);
    f[at + 1] = static_cast<std::byte>(v & 0xFF);
}

// Ethernet + IPv4 or IPv6 (+ optional 802.1Q tag) + TCP (20-byte header) or UDP, padded with
// a payload pattern to `len` bytes. Checksum fields are left zero.
inline std::vector<std::byte> make_frame(std::size_t len, bool ipv6 = false, bool tcp = false,
                                         bool vlan = false, std::uint8_t seed = 1) {
    std::vector<std::byte> f(len);
    for (std::size_t i = 0; i < len; ++i)
        f[i] = static_cast<std::byte>((i * 31 + seed) & 0xFF);
    std::size_t l3 = 14;
    if (len < 14)
        return f; // a runt: pattern only
    for (std::size_t i = 0; i < 12; ++i)
        f[i] = static_cast<std::byte>(0x02 + i);
    if (vlan) {
        put16(f, 12, 0x8100);
        put16(f, 14, 7);
        l3 = 18;
    }
    if (len < l3 + 60)
        return f; // too short for IP headers: a plain frame
    put16(f, l3 - 2, ipv6 ? 0x86DD : 0x0800);
    const std::size_t l4 = l3 + (ipv6 ? 40 : 20);
    const auto ip_payload = static_cast<std::uint16_t>(len - l4);
    if (ipv6) {
        f[l3] = std::byte{0x60};
        f[l3 + 1] = f[l3 + 2] = f[l3 + 3] = std::byte{0};
        put16(f, l3 + 4, ip_payload);
        f[l3 + 6] = static_cast<std::byte>(tcp ? 6 : 17);
    } else {
        f[l3] = std::byte{0x45};
        put16(f, l3 + 2, static_cast<std::uint16_t>(len - l3));
        put16(f, l3 + 6, 0); // not a fragment
        f[l3 + 9] = static_cast<std::byte>(tcp ? 6 : 17);
    }
    if (tcp) {
        f[l4 + 12] = std::byte{0x50}; // data offset 5 words
        put16(f, l4 + 16, 0);
    } else {
        put16(f, l4 + 4, ip_payload);
        put16(f, l4 + 6, 0);
    }
    return f;
}

inline std::vector<std::byte> bytes_of(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    return {b, b + n};
}

// One datagram from the port's peer: the vnet header and the frame. Empty if none waits.
struct PeerFrame {
    VnetHdr hdr{};
    std::vector<std::byte> frame;
};
inline std::optional<PeerFrame> peer_recv(int fd) {
    std::vector<std::byte> buf(70000);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < static_cast<ssize_t>(kVnetHdrLen))
        return std::nullopt;
    PeerFrame p;
    std::memcpy(&p.hdr, buf.data(), kVnetHdrLen);
    p.frame.assign(buf.begin() + kVnetHdrLen, buf.begin() + n);
    return p;
}
inline bool peer_send(int fd, const VnetHdr& h, const std::vector<std::byte>& frame) {
    std::vector<std::byte> buf(kVnetHdrLen + frame.size());
    std::memcpy(buf.data(), &h, kVnetHdrLen);
    std::memcpy(buf.data() + kVnetHdrLen, frame.data(), frame.size());
    return ::send(fd, buf.data(), buf.size(), 0) == static_cast<ssize_t>(buf.size());
}

// A hash of guest RAM [0, 4 MiB) minus the pages in `skip` (rings, grant table, pages the
// backend may legitimately write): "nothing outside the granted pages changed".
inline std::uint64_t ram_hash(const FakeGuest& g, const std::vector<std::uint64_t>& skip) {
    std::uint64_t h = 0;
    for (std::uint64_t gpa = 0; gpa < (4ULL << 20); gpa += kPageSize) {
        bool skipped = false;
        for (auto s : skip)
            skipped = skipped || s == gpa;
        if (!skipped)
            h = h * 31 + fnv1a({g.host(gpa), kPageSize});
    }
    return h;
}

// A partial-checksum header: the checksum field at start + field.
inline VnetHdr partial_csum(std::uint16_t start, std::uint16_t field) {
    VnetHdr h{};
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = start;
    h.csum_offset = field;
    return h;
}

// Runs fn on a thread that first enters a fresh network namespace (so TAPs and their
// traffic stay private to the test); false if the namespace cannot be made.
template <typename F>
bool in_private_netns(F fn) {
    bool entered = false;
    std::thread t([&] {
        entered = ::unshare(CLONE_NEWNET) == 0;
        if (entered)
            fn();
    });
    t.join();
    return entered;
}

// TAP devices can be created (probed inside a private namespace).
inline bool tap_usable() {
    bool ok = false;
    return in_private_netns([&ok] { ok = tap_available(); }) && ok;
}

inline NetFrontFeatures linux_like_front() {
    NetFrontFeatures f;
    f.rx_copy = f.rx_notify = f.sg = f.gso_tcpv4 = f.gso_tcpv6 = f.csum = f.ipv6_csum = true;
    return f;
}

// One interface with one queue over a socketpair, driven single-threaded (drain/pump_rx)
// unless start() is called.
struct NetRig {
    explicit NetRig(NetFrontFeatures front_features = linux_like_front(), NetOffer offer = {})
        : grants(GrantTableView::create(guest.memory(), guest.grant_frames()).value()),
          front(guest) {
        auto sp = SocketPort::create();
        EXPECT_TRUE(sp.ok());
        port = sp->first.get();
        peer = std::move(sp->second);
        std::vector<std::unique_ptr<NetPort>> ports;
        ports.push_back(std::move(sp->first));
        NetQueueBinding b;
        b.tx_ring_ref = front.tx_ring_ref();
        b.rx_ring_ref = front.rx_ring_ref();
        b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        kick = UniqueFd(::dup(b.kick.get()));
        raise = UniqueFd(::dup(b.raise.get()));
        b.front = front_features;
        std::vector<NetQueueBinding> qs;
        qs.push_back(std::move(b));
        auto be = NetBackend::create("test-vif", grants, std::move(ports), std::move(qs), offer);
        EXPECT_TRUE(be.ok());
        backend = std::move(be).value();
    }
    ~NetRig() { backend.reset(); }
    NetQueue& queue() { return backend->queue(0); }
    NetCounters& counters() { return backend->counters(); }
    // Pushes what the frontend produced, serves the tx ring, returns the tx responses.
    std::vector<netif_tx_response> run_tx() {
        front.push_tx();
        queue().drain();
        return front.take_tx();
    }

    FakeGuest guest;
    GrantTableView grants;
    NetFront front;
    SocketPort* port = nullptr; // owned by the backend
    UniqueFd peer;
    UniqueFd kick;
    UniqueFd raise;
    std::unique_ptr<NetBackend> backend;
};

} // namespace pvisor::backend::testing
