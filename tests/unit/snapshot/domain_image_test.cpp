// domain_image_test.cpp: the state records and sparse memory records: a round trip, and each
// refusal of the collector and decoders with its exact code and message.
#include "domain_image.hpp"
#include "memory_image.hpp"

#include <pv/pvisor.h>

#include <gtest/gtest.h>

#include <cstring>

namespace pvisor::snapshot {
namespace {

DomainRecord domain(std::uint32_t vcpus) {
    DomainRecord d;
    d.ram_bytes = 64ULL << 20;
    d.special_gpa = PV_SPECIAL_PAGES_GPA;
    d.special_pages = PV_SPECIAL_PAGES_COUNT;
    d.vcpus = vcpus;
    d.tsc_khz = 2'000'000;
    d.domid = 7;
    std::strcpy(d.name, "web");
    return d;
}

DomainImage image(std::uint32_t vcpus) {
    DomainImage im;
    im.domain = domain(vcpus);
    im.vcpus.resize(vcpus);
    for (std::uint32_t v = 0; v < vcpus; ++v) {
        im.vcpus[v].regs.rip = 0x1000 + v;
        im.vcpus[v].cpuid.resize(3);
        im.vcpus[v].cpuid[2].function = 0x40000100;
        im.vcpus[v].msrs = {{0x10, 0, 12345}, {0x6E0, 0, 99999}};
        im.vcpus[v].lapic.regs[0x20] = static_cast<char>(v);
    }
    im.vm.clock.clock = 5'000'000'000ULL;
    im.vm.irqchip[2].chip_id = 2;
    im.pv.system_time_ns = 4'999'000'000ULL;
    im.pv.shared_info_gpa = 0x5000;
    im.pv.console_port = 1;
    im.pv.store_port = 2;
    im.pv.ports = {{1, 5, 0, 0, 0, 0, 0}, {3, 3, 0, 0, 0, 1, 0}};
    im.pv.timers.resize(vcpus);
    im.pv.timers[0].oneshot_deadline_ns = 5'000'100'000ULL;
    im.pv.grant_frames = {0x7000, 0x8000};
    im.pv.balloon_out = {100, 101};
    im.platform.bar0 = 0xFE000000;
    im.platform.vectors.resize(vcpus);
    im.platform.vectors[0].data = 0x4041;
    im.store = std::string("PVXSSNAP-stand-in");
    return im;
}

std::vector<std::byte> stream_of(const DomainImage& im) {
    MemorySink sink;
    StreamWriter w(sink);
    EXPECT_TRUE(w.begin().ok());
    EXPECT_TRUE(w.record_obj(RecordType::domain, true, im.domain).ok());
    EXPECT_TRUE(write_state_records(w, im).ok());
    EXPECT_TRUE(w.finish().ok());
    return sink.bytes();
}

struct Read {
    StreamErr err = StreamErr::ok;
    std::string why;
    DomainImage image;
};

// Reads a stream through the collector; `drop`: a record index not to hand it (as if absent).
Read read_back(const std::vector<std::byte>& bytes, std::optional<std::uint64_t> drop = {},
               std::optional<std::uint64_t> twice = {}) {
    MemorySource src(bytes);
    StreamReader r(src);
    Read out;
    EXPECT_TRUE(r.open().ok());
    auto first = r.next();
    auto d = decode_domain(*first, out.why);
    if (!d.ok()) {
        out.err = d.error();
        return out;
    }
    StateCollector c(*d);
    while (true) {
        auto rec = r.next();
        EXPECT_TRUE(rec.ok()) << r.message();
        if (rec->type == static_cast<std::uint32_t>(RecordType::end))
            break;
        if (drop && rec->index == *drop)
            continue;
        for (int k = 0; k < (twice && rec->index == *twice ? 2 : 1); ++k) {
            if (auto s = c.add(*rec, out.why); !s.ok()) {
                out.err = s.error();
                return out;
            }
        }
    }
    auto im = c.finish(out.why);
    if (!im.ok())
        out.err = im.error();
    else
        out.image = std::move(*im);
    return out;
}

TEST(DomainImage, RoundTrip) {
    const DomainImage in = image(2);
    const Read out = read_back(stream_of(in));
    ASSERT_EQ(out.err, StreamErr::ok) << out.why;
    ASSERT_EQ(out.image.vcpus.size(), 2U);
    EXPECT_EQ(out.image.vcpus[1].regs.rip, 0x1001U);
    EXPECT_EQ(out.image.vcpus[1].cpuid.size(), 3U);
    EXPECT_EQ(out.image.vcpus[1].cpuid[2].function, 0x40000100U);
    ASSERT_EQ(out.image.vcpus[0].msrs.size(), 2U);
    EXPECT_EQ(out.image.vcpus[0].msrs[1].data, 99999U);
    EXPECT_EQ(out.image.vcpus[1].lapic.regs[0x20], 1);
    EXPECT_EQ(out.image.vm.clock.clock, 5'000'000'000ULL);
    EXPECT_EQ(out.image.vm.irqchip[2].chip_id, 2U);
    EXPECT_EQ(out.image.pv.system_time_ns, 4'999'000'000ULL);
    EXPECT_EQ(out.image.pv.shared_info_gpa, 0x5000U);
    ASSERT_EQ(out.image.pv.ports.size(), 2U);
    EXPECT_EQ(out.image.pv.ports[1].virq, 1U);
    EXPECT_EQ(out.image.pv.timers[0].oneshot_deadline_ns, 5'000'100'000ULL);
    EXPECT_EQ(out.image.pv.grant_frames, (std::vector<std::uint64_t>{0x7000, 0x8000}));
    EXPECT_EQ(out.image.pv.balloon_out, (std::vector<std::uint64_t>{100, 101}));
    EXPECT_EQ(out.image.platform.bar0, 0xFE000000U);
    EXPECT_EQ(out.image.platform.vectors[0].data, 0x4041U);
    EXPECT_EQ(out.image.store, std::optional<std::string>("PVXSSNAP-stand-in"));
}

// Record indices: 0 domain, then 10 per vCPU (cpuid .. events), then irqchip, pit, clock,
// evtchn, timers, grants, balloon, platform, store.
TEST(DomainImage, MissingVcpuRecord) {
    const Read out = read_back(stream_of(image(2)), 1 + 10 + 7); // vCPU 1's lapic
    EXPECT_EQ(out.err, StreamErr::missing_record);
    EXPECT_EQ(out.why, "vcpu 1 has no vcpu_lapic record");
}

TEST(DomainImage, MissingVmRecord) {
    const Read out = read_back(stream_of(image(1)), 1 + 10 + 2); // clock
    EXPECT_EQ(out.err, StreamErr::missing_record);
    EXPECT_EQ(out.why, "no clock record");
}

TEST(DomainImage, DuplicateRecords) {
    Read out = read_back(stream_of(image(1)), {}, 3); // vcpu_regs
    EXPECT_EQ(out.err, StreamErr::duplicate_record);
    EXPECT_EQ(out.why, "record 3 (vcpu_regs) at byte 316: second record of this type for vcpu 0");
    out = read_back(stream_of(image(1)), {}, 1 + 10 + 3); // evtchn
    EXPECT_EQ(out.err, StreamErr::duplicate_record);
    EXPECT_EQ(out.why.substr(out.why.find(':')), ": appears twice");
}

// A stream with one extra record after DOMAIN.
Read with_record(RecordType type, const std::vector<std::byte>& payload) {
    const DomainImage im = image(1);
    MemorySink sink;
    StreamWriter w(sink);
    EXPECT_TRUE(w.begin().ok());
    EXPECT_TRUE(w.record_obj(RecordType::domain, true, im.domain).ok());
    EXPECT_TRUE(w.record(type, true, {payload}).ok());
    EXPECT_TRUE(write_state_records(w, im).ok());
    EXPECT_TRUE(w.finish().ok());
    return read_back(sink.bytes());
}

std::vector<std::byte> u32s(std::initializer_list<std::uint32_t> v) {
    std::vector<std::byte> b(v.size() * 4);
    std::memcpy(b.data(), std::data(v), b.size());
    return b;
}

TEST(DomainImage, VcpuBeyondTheDomain) {
    const Read out = with_record(RecordType::vcpu_regs, u32s({1, 0}));
    EXPECT_EQ(out.err, StreamErr::bad_payload);
    EXPECT_EQ(out.why, "record 1 (vcpu_regs) at byte 136: vcpu 1 beyond the domain's 1");
}

TEST(DomainImage, WrongSizes) {
    Read out = with_record(RecordType::vcpu_regs, u32s({0, 0, 1}));
    EXPECT_EQ(out.err, StreamErr::bad_payload);
    EXPECT_EQ(out.why, "record 1 (vcpu_regs) at byte 136: payload of 12 bytes does not fit");
    // A count that claims more entries than the payload holds.
    out = with_record(RecordType::vcpu_msrs, u32s({0, 0, 1000, 0}));
    EXPECT_EQ(out.why, "record 1 (vcpu_msrs) at byte 136: payload of 16 bytes does not fit");
    out = with_record(RecordType::grants, u32s({0xFFFFFFFF, 0}));
    EXPECT_EQ(out.why, "record 1 (grants) at byte 136: payload of 8 bytes does not fit");
}

TEST(DomainImage, DomainRecordChecks) {
    auto refused = [](DomainRecord d) {
        Record r;
        r.type = 1;
        r.offset = 16;
        r.payload.resize(sizeof d);
        std::memcpy(r.payload.data(), &d, sizeof d);
        std::string why;
        auto res = decode_domain(r, why);
        return res.ok() ? std::string("ok") : std::string(stream_err_name(res.error())) + ": " + why;
    };
    EXPECT_EQ(refused(domain(2)), "ok");
    EXPECT_EQ(refused(domain(0)), "bad_payload: record 0 (domain) at byte 16: vcpus 0 is not 1..64");
    DomainRecord d = domain(1);
    d.ram_bytes = 4097;
    EXPECT_EQ(refused(d), "bad_payload: record 0 (domain) at byte 16: memory of 4097 bytes is not "
                          "a page multiple from 4 KiB to 1 TiB");
    d = domain(1);
    d.special_pages = 1;
    EXPECT_EQ(refused(d), "incompatible: record 0 (domain) at byte 16: special pages differ from "
                          "this pvisor's (pv/pvisor.h)");
    d = domain(1);
    std::memset(d.name, 'a', sizeof d.name);
    EXPECT_EQ(refused(d),
              "bad_payload: record 0 (domain) at byte 16: domain id 0 or a name without its NUL");
    Record r;
    r.type = 2;
    std::string why;
    EXPECT_EQ(decode_domain(r, why).error(), StreamErr::missing_record);
    EXPECT_EQ(why, "record 0 (memory) at byte 0: the stream must start with a domain record");
}

TEST(KvmState, TscFirstTscDeadlineLast) {
    std::vector<kvm_msr_entry> msrs = {{0x6E0, 0, 1}, {0x174, 0, 2}, {0x10, 0, 3}, {0x1B, 0, 4}};
    order_msrs(msrs);
    std::vector<std::uint32_t> order;
    for (const auto& m : msrs)
        order.push_back(m.index);
    EXPECT_EQ(order, (std::vector<std::uint32_t>{0x10, 0x174, 0x1B, 0x6E0}));
}

TEST(MemoryImage, OnlyDataPagesTravel) {
    auto src = GuestMemory::create(16ULL << 20, PV_SPECIAL_PAGES_GPA, PV_SPECIAL_PAGES_COUNT);
    ASSERT_TRUE(src.ok());
    const std::uint64_t pattern[3] = {0x1111, 0x2222, 0x3333};
    ASSERT_TRUE(src->write_obj(0x3000, pattern[0]).ok());
    ASSERT_TRUE(src->write_obj(0x4000, pattern[1]).ok()); // consecutive: one run
    ASSERT_TRUE(src->write_obj(0x9000, pattern[2]).ok()); // ballooned below: skipped
    ASSERT_TRUE(src->write_obj(0xA000, std::uint64_t{0}).ok()); // touched, all zero: skipped
    ASSERT_TRUE(src->write_obj(PV_SPECIAL_PAGES_GPA + 8, pattern[2]).ok()); // special pages too
    MemorySink sink;
    StreamWriter w(sink);
    ASSERT_TRUE(w.begin().ok());
    auto stats = write_memory(w, *src, [](std::uint64_t gfn) { return gfn == 9; });
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->pages_written, 3U);
    EXPECT_EQ(stats->pages_skipped, 1U);
    EXPECT_EQ(stats->pages_zero, 1U);
    EXPECT_EQ(stats->records, 2U); // 0x3000-0x4fff, and the special page
    ASSERT_TRUE(w.finish().ok());

    auto dst = GuestMemory::create(16ULL << 20, PV_SPECIAL_PAGES_GPA, PV_SPECIAL_PAGES_COUNT);
    ASSERT_TRUE(dst.ok());
    MemorySource in(sink.bytes());
    StreamReader r(in);
    ASSERT_TRUE(r.open().ok());
    for (auto rec = r.next(); rec.ok() && rec->type == 2; rec = r.next()) {
        std::string why;
        ASSERT_TRUE(load_memory_record(*rec, *dst, why).ok()) << why;
    }
    EXPECT_EQ(*dst->read_obj<std::uint64_t>(0x3000), 0x1111U);
    EXPECT_EQ(*dst->read_obj<std::uint64_t>(0x4000), 0x2222U);
    EXPECT_EQ(*dst->read_obj<std::uint64_t>(0x9000), 0U);
    EXPECT_EQ(*dst->read_obj<std::uint64_t>(PV_SPECIAL_PAGES_GPA + 8), 0x3333U);
}

TEST(MemoryImage, RunsOutsideMemoryAreRefused) {
    auto mem = GuestMemory::create(1ULL << 20);
    ASSERT_TRUE(mem.ok());
    Record r;
    r.index = 4;
    r.offset = 100;
    const MemoryRunHeader h{1ULL << 20, 1, 0};
    r.payload.resize(sizeof h + 4096);
    std::memcpy(r.payload.data(), &h, sizeof h);
    std::string why;
    EXPECT_EQ(load_memory_record(r, *mem, why).error(), StreamErr::bad_payload);
    EXPECT_EQ(why, "record 4 (memory) at byte 100: run of 1 pages at gpa 1048576 is not inside "
                   "guest memory");
    const MemoryRunHeader h2{0, 2, 0};
    std::memcpy(r.payload.data(), &h2, sizeof h2);
    EXPECT_EQ(load_memory_record(r, *mem, why).error(), StreamErr::bad_payload);
    EXPECT_EQ(why, "record 4 (memory) at byte 100: run of 2 pages at gpa 0 does not match its "
                   "4112 bytes");
}

} // namespace
} // namespace pvisor::snapshot
