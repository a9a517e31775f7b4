// blk_backend_bench.cpp: backend capacity without a VM: a userspace frontend drives the real
// block backend (rings, grants, eventfds) with 4 KiB random reads; fio on the same target.
#include "blk_backend.hpp"
#include "frontend_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace pvisor::backend {
namespace {

using Clock = std::chrono::steady_clock;
using testing::FakeGuest;
using testing::FrontRing;

struct Figures {
    double iops = 0;
    double p50_us = 0;
    double p99_us = 0;
    double kicks_per_req = -1;
    double raises_per_req = -1;
};

struct BenchConfig {
    std::string target;
    std::uint64_t target_bytes = 0;
    bool direct = false;
    double seconds = 2.0;
    bool persistent = true;
    std::uint32_t only_qd = 0; // 0: QD 1, 32 and 128
};

double percentile(std::vector<double>& v, double p) {
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

std::uint32_t order_for(std::uint32_t qd) {
    std::uint32_t order = 0;
    while (PV_BLKIF_RING_SIZE_ORDER(order) < qd)
        ++order;
    return order;
}

// The frontend model keeps `qd` 4 KiB random reads in flight for cfg.seconds.
Figures run_backend(const BenchConfig& cfg, std::uint32_t qd) {
    FakeGuest guest;
    auto grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    const std::uint32_t order = order_for(qd);
    const std::uint64_t ring_gpa = guest.alloc_page();
    BlkQueueBinding b;
    b.ring_refs.push_back(guest.grant(ring_gpa));
    for (std::uint32_t i = 1; i < (1U << order); ++i)
        b.ring_refs.push_back(guest.grant(guest.alloc_page()));
    FrontRing front(guest.host(ring_gpa), order);
    b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    UniqueFd kick(::dup(b.kick.get()));
    UniqueFd raise(::dup(b.raise.get()));
    b.persistent_grants = cfg.persistent;
    BlkDiskConfig dc;
    dc.path = cfg.target;
    dc.read_only = true;
    dc.direct = cfg.direct;
    auto disk = BlkDisk::open(dc);
    if (!disk.ok()) {
        std::fprintf(stderr, "cannot open %s: %s\n", cfg.target.c_str(),
                     std::string(errc_name(disk.error())).c_str());
        return {};
    }
    std::vector<BlkQueueBinding> qs;
    qs.push_back(std::move(b));
    auto backend = BlkBackend::create(std::move(disk).value(), grants, std::move(qs)).value();
    backend->start();

    std::vector<pv_grant_ref> refs(qd);
    std::vector<Clock::time_point> sent(qd);
    for (auto& r : refs)
        r = guest.grant(guest.alloc_page());
    const std::uint64_t blocks = cfg.target_bytes / 4096;
    std::uint64_t rng = 0x9E3779B97F4A7C15ULL;
    std::uint64_t kicks = 0, done = 0;
    std::vector<double> lat;
    lat.reserve(1 << 22);
    auto issue = [&](std::uint32_t slot) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        blkif_request_any r{};
        r.rw.operation = BLKIF_OP_READ;
        r.rw.nr_segments = 1;
        r.rw.id = slot;
        r.rw.sector_number = (rng % blocks) * 8;
        r.rw.seg[0] = {refs[slot], 0, 7, 0};
        sent[slot] = Clock::now();
        front.put(r);
    };
    auto push = [&] {
        if (front.push()) {
            const std::uint64_t one = 1;
            if (::write(kick.get(), &one, sizeof one) == sizeof one)
                ++kicks;
        }
    };
    for (std::uint32_t i = 0; i < qd; ++i)
        issue(i);
    push();
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration<double>(cfg.seconds);
    bool stopping = false;
    std::uint32_t outstanding = qd;
    while (outstanding > 0) {
        auto rs = front.take_responses();
        if (rs.empty()) {
            std::uint64_t n = 0;
            [[maybe_unused]] auto got = ::read(raise.get(), &n, sizeof n); // sleep until raised
            continue;
        }
        const auto now = Clock::now();
        stopping = stopping || now >= end;
        for (const auto& r : rs) {
            const auto slot = static_cast<std::uint32_t>(r.id);
            if (r.status != BLKIF_RSP_OKAY || slot >= qd) {
                std::fprintf(stderr, "bad response id %llu status %d\n",
                             static_cast<unsigned long long>(r.id), r.status);
                std::exit(1);
            }
            lat.push_back(std::chrono::duration<double, std::micro>(now - sent[slot]).count());
            ++done;
            if (stopping)
                --outstanding;
            else
                issue(slot);
        }
        if (!stopping)
            push();
    }
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    backend->stop();
    const BlkQueueStats& st = backend->queue(0).stats();
    Figures f;
    f.iops = static_cast<double>(done) / secs;
    f.p50_us = percentile(lat, 0.50);
    f.p99_us = percentile(lat, 0.99);
    f.kicks_per_req = static_cast<double>(kicks) / static_cast<double>(done);
    f.raises_per_req = static_cast<double>(st.notifications) / static_cast<double>(done);
    if (std::getenv("PV_BENCH_DEBUG") != nullptr) {
        std::fprintf(stderr, "qd %u: responses %llu pushes %llu raises %llu kicks seen %llu\n", qd,
                     static_cast<unsigned long long>(st.requests),
                     static_cast<unsigned long long>(st.pushes),
                     static_cast<unsigned long long>(st.notifications),
                     static_cast<unsigned long long>(st.kicks));
    }
    return f;
}

// Pulls a number following `key` after position `from` in fio's JSON output.
double json_number(const std::string& js, std::size_t from, const std::string& key) {
    const std::size_t k = js.find("\"" + key + "\"", from);
    if (k == std::string::npos)
        return -1;
    const std::size_t colon = js.find(':', k);
    return colon == std::string::npos ? -1 : std::strtod(js.c_str() + colon + 1, nullptr);
}

// Runs fio straight on the target: same block size, pattern and queue depth.
std::optional<Figures> run_fio(const BenchConfig& cfg, const char* engine, std::uint32_t qd) {
    std::string cmd = "fio --name=raw --filename=" + cfg.target + " --rw=randread --bs=4k" +
                      " --ioengine=" + engine + " --iodepth=" + std::to_string(qd) +
                      " --direct=" + (cfg.direct ? "1" : "0") + " --time_based --runtime=" +
                      std::to_string(static_cast<int>(cfg.seconds + 0.5)) +
                      " --size=" + std::to_string(cfg.target_bytes) +
                      " --randrepeat=0 --norandommap --output-format=json 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr)
        return std::nullopt;
    std::string js;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        js.append(buf, n);
    if (::pclose(p) != 0)
        return std::nullopt;
    const std::size_t read = js.find("\"read\"");
    if (read == std::string::npos)
        return std::nullopt;
    Figures f;
    f.iops = json_number(js, read, "iops");
    const std::size_t clat = js.find("\"clat_ns\"", read);
    f.p50_us = json_number(js, clat, "50.000000") / 1000.0;
    f.p99_us = json_number(js, clat, "99.000000") / 1000.0;
    return f;
}

void print_row(const char* who, std::uint32_t qd, const Figures& f, double ratio) {
    std::printf("%-26s %4u %12.0f %9.1f %9.1f", who, qd, f.iops, f.p50_us, f.p99_us);
    if (f.kicks_per_req >= 0)
        std::printf(" %8.4f %8.4f %8.4f", f.kicks_per_req, f.raises_per_req,
                    f.kicks_per_req + f.raises_per_req);
    else
        std::printf(" %8s %8s %8s", "-", "-", "-");
    if (ratio > 0)
        std::printf(" %6.1f%%", ratio * 100);
    std::printf("\n");
}

bool make_target(const std::string& path, std::uint64_t bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr)
        return false;
    std::vector<unsigned char> chunk(1 << 20);
    for (std::size_t i = 0; i < chunk.size(); ++i)
        chunk[i] = static_cast<unsigned char>(i * 31 + 7);
    for (std::uint64_t done = 0; done < bytes; done += chunk.size())
        std::fwrite(chunk.data(), 1, chunk.size(), f);
    return std::fclose(f) == 0;
}

void bench_target(const BenchConfig& cfg, const char* label) {
    std::printf("\n== target: %s (%s, %s) ==\n", label, cfg.target.c_str(),
                cfg.direct ? "O_DIRECT" : "buffered");
    std::printf("%-26s %4s %12s %9s %9s %8s %8s %8s %7s\n", "engine", "QD", "IOPS", "p50(us)",
                "p99(us)", "kick/req", "irq/req", "ntf/req", "vs raw");
    for (std::uint32_t qd : {1U, 32U, 128U}) {
        if (cfg.only_qd != 0 && qd != cfg.only_qd)
            continue;
        const auto raw = run_fio(cfg, "io_uring", qd);
        const Figures be = run_backend(cfg, qd);
        if (raw)
            print_row("fio io_uring (raw)", qd, *raw, 0);
        else
            std::printf("%-26s %4u (fio failed)\n", "fio io_uring (raw)", qd);
        print_row("pvisor blkback (frontend)", qd, be,
                  raw && raw->iops > 0 ? be.iops / raw->iops : 0);
        if (qd == 1) {
            if (const auto ps = run_fio(cfg, "psync", 1))
                print_row("fio psync (raw)", 1, *ps, 0);
        }
        std::fflush(stdout);
    }
}

// A direct-io loop device over the tmpfs file, if this process may create one.
std::string try_loop_device(const std::string& file) {
    FILE* p = ::popen(("losetup --direct-io=on --show -f " + file + " 2>/dev/null").c_str(), "r");
    if (p == nullptr)
        return {};
    char buf[256] = {};
    const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
    if (::pclose(p) != 0 || !got)
        return {};
    std::string dev(buf);
    while (!dev.empty() && (dev.back() == '\n' || dev.back() == ' '))
        dev.pop_back();
    return dev;
}

} // namespace
} // namespace pvisor::backend

int main(int argc, char** argv) {
    using namespace pvisor::backend;
    BenchConfig cfg;
    cfg.target_bytes = 256ULL << 20;
    cfg.target = "/dev/shm/pvblk-bench.img";
    bool loop = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--seconds=", 0) == 0)
            cfg.seconds = std::strtod(a.c_str() + 10, nullptr);
        else if (a.rfind("--qd=", 0) == 0)
            cfg.only_qd = static_cast<std::uint32_t>(std::strtoul(a.c_str() + 5, nullptr, 10));
        else if (a == "--no-persistent")
            cfg.persistent = false;
        else if (a == "--no-loop")
            loop = false;
        else {
            std::fprintf(stderr,
                         "usage: %s [--seconds=S] [--qd=1|32|128] [--no-persistent] [--no-loop]\n",
                         argv[0]);
            return 2;
        }
    }
    std::printf("pvisor block backend capacity: 4 KiB random reads, 1 queue, %.1f s per point, "
                "persistent grants %s\n",
                cfg.seconds, cfg.persistent ? "on" : "off");
    std::printf("kick/req: frontend->backend eventfd writes; irq/req: backend->frontend raises\n");
    if (!make_target(cfg.target, cfg.target_bytes)) {
        std::fprintf(stderr, "cannot create %s\n", cfg.target.c_str());
        return 1;
    }
    bench_target(cfg, "tmpfs file");
    if (loop) {
        const std::string dev = try_loop_device(cfg.target);
        if (dev.empty()) {
            std::printf("\n(direct-io loop device over tmpfs: skipped, losetup not permitted)\n");
        } else {
            BenchConfig lc = cfg;
            lc.target = dev;
            lc.direct = true;
            bench_target(lc, "direct-io loop device over tmpfs");
            [[maybe_unused]] int rc = std::system(("losetup -d " + dev).c_str());
        }
    }
    ::unlink(cfg.target.c_str());
    return 0;
}
