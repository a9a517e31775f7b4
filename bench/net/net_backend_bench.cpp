// net_backend_bench.cpp: backend capacity without a VM: the frontend model pushes 64- and
// 1500-byte frames through the real net backend (rings, grants, eventfds, io_uring) into a
// TAP; raw write()s of the same frames into the same TAP in the same run. Everything happens
// in a network namespace the program creates: no frame can leave the machine.
#include "net_backend.hpp"
#include "net_frontend_model.hpp"
#include "tap_device.hpp"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace pvisor::backend {
namespace {

using testing::FakeGuest;
using testing::NetFront;

// An Ethernet frame with a locally administered destination and the IEEE local
// experimental EtherType: the namespace's stack accepts it from the TAP and drops it.
std::vector<std::byte> bench_frame(std::size_t len) {
    std::vector<std::byte> f(len);
    for (std::size_t i = 0; i < len; ++i)
        f[i] = static_cast<std::byte>(i * 13 + 5);
    const std::uint8_t head[14] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xB5};
    std::memcpy(f.data(), head, sizeof head);
    return f;
}

void report(benchmark::State& state, std::uint64_t packets, std::uint64_t frame_bytes) {
    state.SetItemsProcessed(static_cast<std::int64_t>(packets));
    state.counters["pkt"] =
        benchmark::Counter(static_cast<double>(packets), benchmark::Counter::kIsRate);
    state.counters["Gbit"] = benchmark::Counter(
        static_cast<double>(packets * frame_bytes) * 8.0 / 1e9, benchmark::Counter::kIsRate);
}

// Baseline: one write() of [vnet header][frame] per frame into the TAP queue.
void BM_RawTapWrite(benchmark::State& state) {
    const auto len = static_cast<std::size_t>(state.range(0));
    auto dev = TapDevice::open("pvraw%d", 1);
    if (!dev.ok()) {
        state.SkipWithError("TAP");
        return;
    }
    auto ports = dev->take_queues();
    const auto f = bench_frame(len);
    std::vector<std::byte> buf(kVnetHdrLen + len);
    std::memcpy(buf.data() + kVnetHdrLen, f.data(), len);
    std::uint64_t n = 0;
    for (auto _ : state) {
        if (::write(ports[0]->fd(), buf.data(), buf.size()) == static_cast<ssize_t>(buf.size()))
            ++n;
    }
    report(state, n, len);
}

// The backend on its own thread; the frontend model (this thread) keeps the tx ring fed
// from 128 pre-filled pool pages and sleeps on the raise eventfd only when nothing is left
// to do. One benchmark iteration = one frontend round (send what fits, push, reap).
void BM_BackendTx(benchmark::State& state) {
    const auto len = static_cast<std::size_t>(state.range(0));
    auto dev = TapDevice::open("pvnet%d", 1);
    if (!dev.ok()) {
        state.SkipWithError("TAP");
        return;
    }
    FakeGuest guest;
    auto grants = GrantTableView::create(guest.memory(), guest.grant_frames()).value();
    NetFront front(guest, 128, 32);
    front.fill_tx_pool(bench_frame(len));
    NetQueueBinding b;
    b.tx_ring_ref = front.tx_ring_ref();
    b.rx_ring_ref = front.rx_ring_ref();
    b.kick = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    b.raise = UniqueFd(::eventfd(0, EFD_CLOEXEC));
    UniqueFd kick(::dup(b.kick.get()));
    UniqueFd raise(::dup(b.raise.get()));
    b.front.rx_copy = true;
    std::vector<NetQueueBinding> qs;
    qs.push_back(std::move(b));
    auto be = NetBackend::create(dev->name(), grants, dev->take_queues(), std::move(qs));
    if (!be.ok()) {
        state.SkipWithError("backend");
        return;
    }
    (*be)->start();
    const std::vector<std::byte> dummy(len); // send() does not copy: the pool holds the frame
    testing::TxLayout layout;
    layout.copy = false;
    std::uint64_t done = 0, kicks = 0, waits = 0;
    for (auto _ : state) {
        bool sent = false;
        while (front.send(dummy, layout))
            sent = true;
        const std::uint64_t one = 1;
        if (sent && front.push_tx() && ::write(kick.get(), &one, sizeof one) == sizeof one)
            ++kicks;
        const auto rsp = front.take_tx();
        done += rsp.size();
        if (rsp.empty() && !sent) {
            std::uint64_t v = 0;
            waits += ::read(raise.get(), &v, sizeof v) == sizeof v ? 1U : 0U;
        }
    }
    // Responses still outstanding are collected outside the timing (stop() answers them).
    (*be)->stop();
    report(state, done, len);
    state.counters["kicks/pkt"] = done ? static_cast<double>(kicks) / static_cast<double>(done) : 0;
    state.counters["waits/pkt"] = done ? static_cast<double>(waits) / static_cast<double>(done) : 0;
    state.counters["raise/pkt"] =
        done
            ? static_cast<double>((*be)->queue(0).stats().notifications) / static_cast<double>(done)
            : 0;
    state.counters["enter/pkt"] =
        done ? static_cast<double>((*be)->queue(0).uring_enters()) / static_cast<double>(done) : 0;
    if ((*be)->counters().tx_errors.load() != 0 || (*be)->counters().invalid_total() != 0)
        state.SkipWithError("the backend refused frames");
}

BENCHMARK(BM_RawTapWrite)->Arg(64)->Arg(1500)->UseRealTime();
BENCHMARK(BM_BackendTx)->Arg(64)->Arg(1500)->UseRealTime();

// A private network namespace (loopback down, no routes): the TAPs live and die in it.
bool enter_private_netns() {
    if (::unshare(CLONE_NEWNET) != 0) {
        std::perror("net_backend_bench: unshare(CLONE_NEWNET) (needs root)");
        return false;
    }
    // No IPv6 autoconfiguration traffic on the TAPs: only the benchmark's frames.
    const int fd = ::open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        [[maybe_unused]] auto n = ::write(fd, "1", 1);
        ::close(fd);
    }
    return true;
}

} // namespace
} // namespace pvisor::backend

int main(int argc, char** argv) {
    if (!pvisor::backend::enter_private_netns() || !pvisor::backend::tap_available())
        return 1;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
