// blk_backend_test.cpp: hostile-frontend and data round-trip tests of the block backend.
#include "blk_backend.hpp"
#include "blk_features.hpp"
#include "blk_test_util.hpp"
#include "frontend_model.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <sys/eventfd.h>
#include <vector>

namespace pvisor::backend {
namespace {

using testing::FakeGuest;
using testing::FrontRing;
using testing::full_page;
using testing::make_rw;
using testing::TempImage;

constexpr std::uint64_t kDiskBytes = 1ULL << 20; // 2048 sectors

// One disk served by one queue, driven single-threaded with BlkQueue::drain().
struct Rig {
    Rig(FakeGuest& guest, GrantTableView& grants, const TempImage& img, bool ro = false,
        bool persistent = false) {
        BlkDiskConfig cfg;
        cfg.path = img.path();
        cfg.read_only = ro;
        auto disk = BlkDisk::open(cfg);
        EXPECT_TRUE(disk.ok());
        const std::uint64_t ring_gpa = guest.alloc_page();
        front.emplace(guest.host(ring_gpa));
        BlkQueueBinding b;
        b.ring_refs = {guest.grant(ring_gpa)};
        b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        kick = ::dup(b.kick.get());
        raise = ::dup(b.raise.get());
        b.persistent_grants = persistent;
        std::vector<BlkQueueBinding> qs;
        qs.push_back(std::move(b));
        auto be = BlkBackend::create(std::move(disk).value(), grants, std::move(qs));
        EXPECT_TRUE(be.ok());
        backend = std::move(be).value();
    }
    ~Rig() {
        backend.reset();
        ::close(kick);
        ::close(raise);
    }
    std::vector<blkif_response> run(std::initializer_list<blkif_request_any> reqs) {
        for (const auto& r : reqs)
            front->put(r);
        front->push();
        backend->queue(0).drain();
        return front->take_responses();
    }
    blkif_response one(const blkif_request_any& r) {
        auto rs = run({r});
        EXPECT_EQ(rs.size(), 1U);
        return rs.empty() ? blkif_response{} : rs[0];
    }
    BlkCounters& counters() { return backend->disk().counters(); }

    std::optional<FrontRing> front;
    std::unique_ptr<BlkBackend> backend;
    int kick = -1;
    int raise = -1;
};

class BlkBackendTest : public ::testing::Test {
  protected:
    FakeGuest guest;
    GrantTableView grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    TempImage img{kDiskBytes};
};

std::span<std::byte> page_of(FakeGuest& g, std::uint64_t gpa) {
    return {g.host(gpa), kPageSize};
}

TEST_F(BlkBackendTest, WriteThenReadRoundTripMatchesChecksumAndFile) {
    ASSERT_TRUE(img.ok());
    Rig rig(guest, grants, img);
    std::vector<std::uint64_t> src, dst;
    std::vector<blkif_request_segment> wseg, rseg;
    std::uint64_t want = 0;
    for (int i = 0; i < 8; ++i) {
        src.push_back(guest.alloc_page());
        dst.push_back(guest.alloc_page());
        auto p = page_of(guest, src.back());
        for (std::size_t j = 0; j < p.size(); ++j)
            p[j] = static_cast<std::byte>((j * 7 + static_cast<std::size_t>(i) * 13) & 0xFF);
    }
    std::vector<std::byte> all;
    for (auto gpa : src) {
        auto p = page_of(guest, gpa);
        all.insert(all.end(), p.begin(), p.end());
    }
    want = testing::fnv1a(all);
    blkif_request_any w = make_rw(BLKIF_OP_WRITE, 41, 16, {});
    blkif_request_any r = make_rw(BLKIF_OP_READ, 42, 16, {});
    w.rw.nr_segments = r.rw.nr_segments = 8;
    for (int i = 0; i < 8; ++i) {
        w.rw.seg[i] = full_page(guest.grant(src[static_cast<std::size_t>(i)], true));
        r.rw.seg[i] = full_page(guest.grant(dst[static_cast<std::size_t>(i)]));
    }
    auto wr = rig.one(w);
    EXPECT_EQ(wr.id, 41U);
    EXPECT_EQ(wr.operation, BLKIF_OP_WRITE);
    EXPECT_EQ(wr.status, BLKIF_RSP_OKAY);
    auto rr = rig.one(r);
    EXPECT_EQ(rr.id, 42U);
    EXPECT_EQ(rr.status, BLKIF_RSP_OKAY);

    std::vector<std::byte> back;
    for (auto gpa : dst) {
        auto p = page_of(guest, gpa);
        back.insert(back.end(), p.begin(), p.end());
    }
    EXPECT_EQ(testing::fnv1a(back), want);
    std::vector<std::byte> file(all.size());
    const int fd = ::open(img.path().c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::pread(fd, file.data(), file.size(), 16 * 512), static_cast<ssize_t>(file.size()));
    ::close(fd);
    EXPECT_EQ(testing::fnv1a(file), want);
    EXPECT_EQ(rig.counters().bytes_written.load(), 32768U);
    EXPECT_EQ(rig.counters().bytes_read.load(), 32768U);
    EXPECT_EQ(rig.counters().requests.load(), 2U);
    EXPECT_EQ(rig.counters().invalid_total(), 0U);
    // Every transient pin was dropped: the guest can end access to all pages.
    EXPECT_EQ(grants.pinned_refs(), 1U); // only the ring page
    EXPECT_TRUE(guest.end_access(w.rw.seg[0].gref));
}

TEST_F(BlkBackendTest, PartialSectorsWithinPageLandAtTheRightOffset) {
    Rig rig(guest, grants, img);
    const auto gpa = guest.alloc_page();
    std::memset(guest.host(gpa) + 2 * 512, 0xAB, 3 * 512);
    auto rsp = rig.one(make_rw(BLKIF_OP_WRITE, 1, 100, {{guest.grant(gpa, true), 2, 4, 0}}));
    EXPECT_EQ(rsp.status, BLKIF_RSP_OKAY);
    std::vector<unsigned char> buf(3 * 512);
    const int fd = ::open(img.path().c_str(), O_RDONLY);
    EXPECT_EQ(::pread(fd, buf.data(), buf.size(), 100 * 512), 1536);
    ::close(fd);
    for (unsigned char c : buf)
        ASSERT_EQ(c, 0xAB);
    EXPECT_EQ(rig.counters().bytes_written.load(), 1536U);
}

TEST_F(BlkBackendTest, OutOfRangeSectorsAreRefused) {
    Rig rig(guest, grants, img);
    const auto ref = guest.grant(guest.alloc_page());
    // Last full page: OK. One sector further: out of range.
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 1, 2040, {full_page(ref)})).status, BLKIF_RSP_OKAY);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 2, 2041, {full_page(ref)})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 3, 1ULL << 40, {full_page(ref)})).status,
              BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::out_of_range), 2U);
    EXPECT_EQ(rig.counters().bytes_read.load(), 4096U);
    const std::string text = rig.counters().format();
    EXPECT_NE(text.find("requests 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("invalid 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("invalid.out_of_range 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("bytes_read 4096\n"), std::string::npos) << text;
}

TEST_F(BlkBackendTest, SectorPlusLengthOverflowIsRefused) {
    Rig rig(guest, grants, img);
    const auto ref = guest.grant(guest.alloc_page());
    auto rsp = rig.one(make_rw(BLKIF_OP_READ, 7, UINT64_MAX - 3, {full_page(ref)}));
    EXPECT_EQ(rsp.id, 7U);
    EXPECT_EQ(rsp.status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::out_of_range), 1U);
    blkif_request_any d{};
    d.discard.operation = BLKIF_OP_DISCARD;
    d.discard.id = 8;
    d.discard.sector_number = 8;
    d.discard.nr_sectors = UINT64_MAX - 4;
    EXPECT_EQ(rig.one(d).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::out_of_range), 2U);
}

TEST_F(BlkBackendTest, SegmentCountAndSectorBoundsAreChecked) {
    Rig rig(guest, grants, img);
    const auto ref = guest.grant(guest.alloc_page());
    auto too_many = make_rw(BLKIF_OP_READ, 1, 0, {full_page(ref)});
    too_many.rw.nr_segments = 12;
    EXPECT_EQ(rig.one(too_many).status, BLKIF_RSP_ERROR);
    auto none = make_rw(BLKIF_OP_WRITE, 2, 0, {});
    EXPECT_EQ(rig.one(none).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::bad_segment_count), 2U);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 3, 0, {{ref, 5, 4, 0}})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 4, 0, {{ref, 0, 8, 0}})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::bad_segment), 2U);
    EXPECT_EQ(rig.counters().bytes_read.load(), 0U);
}

TEST_F(BlkBackendTest, BadGrantsAreRefusedAndCounted) {
    Rig rig(guest, grants, img);
    const auto gpa = guest.alloc_page();
    const auto revoked = guest.grant(gpa);
    ASSERT_TRUE(guest.end_access(revoked));
    const auto foreign = guest.grant(gpa, false, 5);
    const auto ro = guest.grant(gpa, true);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 1, 0, {full_page(revoked)})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 2, 0, {full_page(foreign)})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 3, 0, {full_page(4000)})).status, BLKIF_RSP_ERROR);
    // A READ writes guest memory: a read-only grant is refused; a WRITE may use it.
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 4, 0, {full_page(ro)})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_WRITE, 5, 0, {full_page(ro)})).status, BLKIF_RSP_OKAY);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::bad_grant), 4U);
    EXPECT_EQ(grants.refused(GrantRefusal::not_permitted), 1U);
    EXPECT_EQ(grants.refused(GrantRefusal::foreign_domid), 1U);
    EXPECT_EQ(grants.refused(GrantRefusal::out_of_range), 1U);
    EXPECT_EQ(grants.refused(GrantRefusal::read_only), 1U);
    // A grant failing in the middle of a request releases the pins taken before it.
    const auto good = guest.grant(guest.alloc_page());
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 6, 0, {full_page(good), full_page(revoked)})).status,
              BLKIF_RSP_ERROR);
    EXPECT_TRUE(guest.end_access(good));
}

TEST_F(BlkBackendTest, RequestIdReuseIsAnsweredPerRequest) {
    Rig rig(guest, grants, img);
    const auto a = guest.grant(guest.alloc_page());
    const auto b = guest.grant(guest.alloc_page());
    auto rs = rig.run({make_rw(BLKIF_OP_READ, 99, 0, {full_page(a)}),
                       make_rw(BLKIF_OP_READ, 99, 8, {full_page(b)})});
    ASSERT_EQ(rs.size(), 2U);
    for (const auto& r : rs) {
        EXPECT_EQ(r.id, 99U);
        EXPECT_EQ(r.status, BLKIF_RSP_OKAY);
    }
    EXPECT_EQ(rig.counters().requests.load(), 2U);
}

TEST_F(BlkBackendTest, UnknownOperationsGetEopnotsupp) {
    Rig rig(guest, grants, img);
    for (std::uint8_t op : {std::uint8_t{BLKIF_OP_WRITE_BARRIER}, std::uint8_t{4}, std::uint8_t{7},
                            std::uint8_t{255}}) {
        auto rsp = rig.one(make_rw(op, op, 0, {}));
        EXPECT_EQ(rsp.status, BLKIF_RSP_EOPNOTSUPP) << int(op);
        EXPECT_EQ(rsp.operation, op);
    }
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::unknown_op), 4U);
}

TEST_F(BlkBackendTest, ProducerOverflowBreaksOnlyThatRing) {
    TempImage img2(kDiskBytes);
    Rig bad(guest, grants, img);
    Rig good(guest, grants, img2);
    bad.front->set_req_prod(bad.front->size() + 5);
    bad.backend->queue(0).drain();
    EXPECT_TRUE(bad.backend->queue(0).broken());
    EXPECT_EQ(bad.counters().rings_broken.load(), 1U);
    EXPECT_EQ(bad.front->take_responses().size(), 0U);
    // The other disk keeps serving.
    const auto ref = guest.grant(guest.alloc_page());
    EXPECT_EQ(good.one(make_rw(BLKIF_OP_READ, 1, 0, {full_page(ref)})).status, BLKIF_RSP_OKAY);
    EXPECT_FALSE(good.backend->queue(0).broken());
    // The broken ring stays broken (not served again).
    bad.backend->queue(0).drain();
    EXPECT_EQ(bad.counters().requests.load(), 0U);
}

TEST_F(BlkBackendTest, ReadOnlyDiskRefusesWritesAndKeepsImage) {
    Rig rig(guest, grants, img, /*ro=*/true);
    const auto gpa = guest.alloc_page();
    std::memset(guest.host(gpa), 0x5A, kPageSize);
    const auto ref = guest.grant(gpa);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_WRITE, 1, 0, {full_page(ref)})).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_FLUSH_DISKCACHE, 2, 0, {full_page(ref)})).status,
              BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::read_only), 2U);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_FLUSH_DISKCACHE, 3, 0, {})).status, BLKIF_RSP_OKAY);
    blkif_request_any d{};
    d.discard.operation = BLKIF_OP_DISCARD;
    d.discard.nr_sectors = 8;
    EXPECT_EQ(rig.one(d).status, BLKIF_RSP_EOPNOTSUPP);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 4, 0, {full_page(ref)})).status, BLKIF_RSP_OKAY);
    std::vector<std::byte> zero(kPageSize);
    EXPECT_EQ(std::memcmp(guest.host(gpa), zero.data(), kPageSize), 0); // image is still zeros
    EXPECT_EQ(rig.counters().bytes_written.load(), 0U);
}

TEST_F(BlkBackendTest, FlushWithDataAndDiscard) {
    Rig rig(guest, grants, img);
    const auto gpa = guest.alloc_page();
    std::memset(guest.host(gpa), 0x77, kPageSize);
    const auto ref = guest.grant(gpa);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_FLUSH_DISKCACHE, 1, 64, {full_page(ref)})).status,
              BLKIF_RSP_OKAY);
    EXPECT_EQ(rig.counters().flushes.load(), 1U);
    EXPECT_EQ(rig.counters().bytes_written.load(), 4096U);
    std::memset(guest.host(gpa), 0, kPageSize);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 2, 64, {full_page(ref)})).status, BLKIF_RSP_OKAY);
    EXPECT_EQ(static_cast<unsigned char>(guest.host(gpa)[4095]), 0x77);
    blkif_request_any d{};
    d.discard.operation = BLKIF_OP_DISCARD;
    d.discard.id = 3;
    d.discard.sector_number = 64;
    d.discard.nr_sectors = 8;
    EXPECT_EQ(rig.one(d).status, BLKIF_RSP_OKAY);
    EXPECT_EQ(rig.counters().discards.load(), 1U);
    EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 4, 64, {full_page(ref)})).status, BLKIF_RSP_OKAY);
    EXPECT_EQ(static_cast<unsigned char>(guest.host(gpa)[4095]), 0);
    d.discard.nr_sectors = 0;
    EXPECT_EQ(rig.one(d).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::bad_discard), 1U);
}

TEST_F(BlkBackendTest, IndirectRequestMovesManySegments) {
    Rig rig(guest, grants, img);
    constexpr std::uint32_t kSegs = 64;
    const auto ind_gpa = guest.alloc_page();
    auto* segs = reinterpret_cast<blkif_request_segment*>(guest.host(ind_gpa));
    std::vector<std::uint64_t> pages;
    for (std::uint32_t i = 0; i < kSegs; ++i) {
        pages.push_back(guest.alloc_page());
        std::memset(guest.host(pages.back()), static_cast<int>(i + 1), kPageSize);
        segs[i] = full_page(guest.grant(pages.back()));
    }
    blkif_request_any r{};
    r.indirect.operation = BLKIF_OP_INDIRECT;
    r.indirect.indirect_op = BLKIF_OP_WRITE;
    r.indirect.nr_segments = kSegs;
    r.indirect.id = 10;
    r.indirect.sector_number = 0;
    r.indirect.indirect_grefs[0] = guest.grant(ind_gpa, true);
    auto rsp = rig.one(r);
    EXPECT_EQ(rsp.status, BLKIF_RSP_OKAY);
    EXPECT_EQ(rsp.operation, BLKIF_OP_INDIRECT);
    EXPECT_EQ(rig.counters().bytes_written.load(), kSegs * 4096U);
    unsigned char c = 0;
    const int fd = ::open(img.path().c_str(), O_RDONLY);
    EXPECT_EQ(::pread(fd, &c, 1, 63 * 4096 + 5), 1);
    ::close(fd);
    EXPECT_EQ(c, 64);
    // Too many segments for the offer, and a bad indirect op.
    r.indirect.nr_segments = kBlkMaxSegments + 1;
    EXPECT_EQ(rig.one(r).status, BLKIF_RSP_ERROR);
    r.indirect.nr_segments = kSegs;
    r.indirect.indirect_op = BLKIF_OP_DISCARD;
    EXPECT_EQ(rig.one(r).status, BLKIF_RSP_ERROR);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::bad_segment_count), 1U);
    EXPECT_EQ(rig.counters().invalid_count(BlkInvalid::bad_indirect), 1U);
}

TEST_F(BlkBackendTest, PersistentGrantsStayPinnedUntilDisconnect) {
    const auto gpa = guest.alloc_page();
    pv_grant_ref ref = 0;
    {
        Rig rig(guest, grants, img, false, /*persistent=*/true);
        ref = guest.grant(gpa);
        EXPECT_EQ(rig.one(make_rw(BLKIF_OP_WRITE, 1, 0, {full_page(ref)})).status, BLKIF_RSP_OKAY);
        EXPECT_EQ(rig.one(make_rw(BLKIF_OP_READ, 2, 0, {full_page(ref)})).status, BLKIF_RSP_OKAY);
        EXPECT_EQ(rig.backend->queue(0).persistent().size(), 1U);
        EXPECT_EQ(rig.backend->queue(0).persistent().hits(), 1U);
        EXPECT_FALSE(guest.end_access(ref)); // still in use by the backend
    }
    EXPECT_TRUE(guest.end_access(ref));
}

TEST_F(BlkBackendTest, ThreadedQueueServesKicksAndNotifies) {
    Rig rig(guest, grants, img);
    rig.backend->start();
    const auto ref = guest.grant(guest.alloc_page());
    rig.front->put(make_rw(BLKIF_OP_READ, 5, 0, {full_page(ref)}));
    if (rig.front->push()) {
        const std::uint64_t one = 1;
        ASSERT_EQ(::write(rig.kick, &one, sizeof one), 8);
    }
    // Block on the raise eventfd (made blocking here) until the backend notifies.
    ::fcntl(rig.raise, F_SETFL, 0);
    std::uint64_t n = 0;
    ASSERT_EQ(::read(rig.raise, &n, sizeof n), 8);
    auto rs = rig.front->take_responses();
    ASSERT_EQ(rs.size(), 1U);
    EXPECT_EQ(rs[0].id, 5U);
    EXPECT_EQ(rs[0].status, BLKIF_RSP_OKAY);
    rig.backend->stop();
}

TEST_F(BlkBackendTest, ThreadedDeepQueueAnswersEveryRequestOnce) {
    // A full ring kept full by refills: exercises the coalesced path (no kicks asked for,
    // responses in batches) and the final checks on both sides; a lost wake-up hangs here.
    Rig rig(guest, grants, img);
    rig.backend->start();
    const std::uint32_t qd = rig.front->size();
    std::vector<pv_grant_ref> refs(qd);
    for (auto& r : refs)
        r = guest.grant(guest.alloc_page());
    constexpr std::uint64_t kTotal = 5000;
    std::vector<std::uint32_t> seen(kTotal, 0);
    std::uint64_t issued = 0, answered = 0;
    auto issue = [&](std::uint32_t slot) {
        rig.front->put(make_rw(BLKIF_OP_READ, issued * qd + slot, (issued % 256) * 8,
                               {full_page(refs[slot])}));
        ++issued;
    };
    auto push = [&] {
        const std::uint64_t one = 1;
        if (rig.front->push()) {
            ASSERT_EQ(::write(rig.kick, &one, sizeof one), 8);
        }
    };
    for (std::uint32_t i = 0; i < qd; ++i)
        issue(i);
    push();
    ::fcntl(rig.raise, F_SETFL, 0);
    while (answered < kTotal) {
        auto rs = rig.front->take_responses();
        if (rs.empty()) {
            std::uint64_t n = 0;
            ASSERT_EQ(::read(rig.raise, &n, sizeof n), 8);
            continue;
        }
        for (const auto& r : rs) {
            ASSERT_EQ(r.status, BLKIF_RSP_OKAY);
            const std::uint64_t seq = r.id / qd;
            ASSERT_LT(seq, kTotal);
            ++seen[seq];
            ++answered;
            if (issued < kTotal)
                issue(static_cast<std::uint32_t>(r.id % qd));
        }
        push();
    }
    rig.backend->stop();
    for (std::uint64_t i = 0; i < kTotal; ++i)
        ASSERT_EQ(seen[i], 1U) << i;
    EXPECT_EQ(rig.counters().requests.load(), kTotal);
    EXPECT_EQ(rig.counters().bytes_read.load(), kTotal * 4096);
    EXPECT_LT(rig.backend->queue(0).stats().notifications, kTotal);
}

TEST_F(BlkBackendTest, TwoQueuesOnOneDiskServeConcurrently) {
    BlkDiskConfig cfg;
    cfg.path = img.path();
    cfg.queues = 2;
    std::vector<std::unique_ptr<FrontRing>> fronts;
    std::vector<BlkQueueBinding> qs;
    std::vector<UniqueFd> raises;
    for (int q = 0; q < 2; ++q) {
        const auto ring_gpa = guest.alloc_page();
        fronts.push_back(std::make_unique<FrontRing>(guest.host(ring_gpa)));
        BlkQueueBinding b;
        b.ring_refs = {guest.grant(ring_gpa)};
        b.kick = UniqueFd(::eventfd(1, EFD_CLOEXEC)); // pre-kicked: serve at once
        b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        raises.emplace_back(::dup(b.raise.get()));
        qs.push_back(std::move(b));
    }
    // Each queue writes its own 8 pages, patterned with its queue number.
    std::vector<std::uint64_t> pages;
    for (int q = 0; q < 2; ++q) {
        for (int i = 0; i < 8; ++i) {
            pages.push_back(guest.alloc_page());
            std::memset(guest.host(pages.back()), 0x10 + q, kPageSize);
            fronts[static_cast<std::size_t>(q)]->put(
                make_rw(BLKIF_OP_WRITE, static_cast<std::uint64_t>(i),
                        static_cast<std::uint64_t>((q * 8 + i) * 8),
                        {full_page(guest.grant(pages.back(), true))}));
        }
        fronts[static_cast<std::size_t>(q)]->push();
    }
    auto be = BlkBackend::create(BlkDisk::open(cfg).value(), grants, std::move(qs));
    ASSERT_TRUE(be.ok());
    (*be)->start();
    for (int q = 0; q < 2; ++q) {
        std::size_t got = 0;
        while (got < 8) {
            auto rs = fronts[static_cast<std::size_t>(q)]->take_responses();
            for (const auto& r : rs)
                EXPECT_EQ(r.status, BLKIF_RSP_OKAY);
            got += rs.size();
            std::uint64_t n = 0;
            if (got < 8) {
                ASSERT_EQ(::read(raises[static_cast<std::size_t>(q)].get(), &n, sizeof n), 8);
            }
        }
    }
    (*be)->stop();
    EXPECT_EQ((*be)->disk().counters().requests.load(), 16U);
    EXPECT_EQ((*be)->disk().counters().bytes_written.load(), 16U * 4096);
    const int fd = ::open(img.path().c_str(), O_RDONLY);
    for (int q = 0; q < 2; ++q) {
        unsigned char c = 0;
        EXPECT_EQ(::pread(fd, &c, 1, (q * 8 + 7) * 4096 + 100), 1);
        EXPECT_EQ(c, 0x10 + q);
    }
    ::close(fd);
    // More queues than the disk was configured for is refused.
    std::vector<BlkQueueBinding> three(3);
    cfg.queues = 2;
    EXPECT_EQ(BlkBackend::create(BlkDisk::open(cfg).value(), grants, std::move(three)).error(),
              Errc::invalid_argument);
}

TEST_F(BlkBackendTest, DirectIoRoundTripWhenTheFilesystemSupportsIt) {
    BlkDiskConfig cfg;
    cfg.path = img.path();
    cfg.direct = true;
    auto probe = BlkDisk::open(cfg);
    if (!probe.ok())
        GTEST_SKIP() << "O_DIRECT not supported for " << img.path();
    const auto gpa = guest.alloc_page();
    std::memset(guest.host(gpa), 0xD1, kPageSize);
    const auto ring_gpa = guest.alloc_page();
    FrontRing front(guest.host(ring_gpa));
    std::vector<BlkQueueBinding> qs(1);
    qs[0].ring_refs = {guest.grant(ring_gpa)};
    qs[0].kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    qs[0].raise = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    auto be = BlkBackend::create(std::move(probe).value(), grants, std::move(qs)).value();
    front.put(make_rw(BLKIF_OP_WRITE, 1, 8, {full_page(guest.grant(gpa))}));
    front.put(make_rw(BLKIF_OP_FLUSH_DISKCACHE, 2, 0, {}));
    front.push();
    be->queue(0).drain();
    std::memset(guest.host(gpa), 0, kPageSize);
    front.put(make_rw(BLKIF_OP_READ, 3, 8, {full_page(guest.grant(gpa))}));
    front.push();
    be->queue(0).drain();
    auto rs = front.take_responses();
    ASSERT_EQ(rs.size(), 3U);
    for (const auto& r : rs)
        EXPECT_EQ(r.status, BLKIF_RSP_OKAY) << r.id;
    EXPECT_EQ(static_cast<unsigned char>(guest.host(gpa)[123]), 0xD1);
    EXPECT_EQ(be->disk().counters().io_errors.load(), 0U);
}

std::string key(const std::vector<std::pair<std::string, std::string>>& kv, const char* k) {
    for (const auto& [name, value] : kv) {
        if (name == k)
            return value;
    }
    return "<missing>";
}

TEST_F(BlkBackendTest, BackendKeysFollowTheDiskLimits) {
    BlkDiskConfig cfg;
    cfg.path = img.path();
    cfg.queues = 4;
    auto rw = BlkDisk::open(cfg).value();
    auto kv = blk_backend_keys(rw);
    EXPECT_EQ(key(kv, "sectors"), "2048");
    EXPECT_EQ(key(kv, "mode"), "w");
    EXPECT_EQ(key(kv, "info"), "0");
    EXPECT_EQ(key(kv, "feature-flush-cache"), "1");
    EXPECT_EQ(key(kv, "feature-discard"), "1");
    EXPECT_EQ(key(kv, "discard-granularity"), "512");
    EXPECT_EQ(key(kv, "feature-max-indirect-segments"), "256");
    EXPECT_EQ(key(kv, "multi-queue-max-queues"), "4");
    EXPECT_EQ(key(kv, "max-ring-page-order"), "4");
    cfg.read_only = true;
    auto ro = BlkDisk::open(cfg).value();
    kv = blk_backend_keys(ro);
    EXPECT_EQ(key(kv, "mode"), "r");
    EXPECT_EQ(key(kv, "info"), "4");
    EXPECT_EQ(key(kv, "feature-flush-cache"), "0");
    EXPECT_EQ(key(kv, "feature-discard"), "0");
    EXPECT_EQ(key(kv, "discard-granularity"), "<missing>");
}

} // namespace
} // namespace pvisor::backend
