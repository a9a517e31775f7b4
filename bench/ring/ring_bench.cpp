// ring_bench.cpp: pv/ring_ops.h + eventfd notifications between two processes, beside pipe and
// eventfd-per-message baselines.
//
// A forked child plays the backend: it echoes each 16-byte request as a response. The ring
// lives in a memfd mapped MAP_SHARED by both processes (2 pages, 256 slots); each side kicks
// the other's eventfd only when the ring's notify decision says so, and sleeps on its own
// eventfd only after the final check. Reported per benchmark: msgs/s (messages echoed per
// second) and notif/msg (eventfd writes by both processes per message).
//   RingRoundTrip/B   send B requests, push once, wait for all B responses.
//   RingStream/B      keep the ring busy: push every B requests, reap responses as they come.
//   EventfdPerMsg*/B  the same ring, but one eventfd write per message each way (no hold-off).
//   PipeRoundTrip/B   B messages written in one write() on a pipe, echoed on another pipe.
#include "unique_fd.hpp"

#include <benchmark/benchmark.h>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <pv/ring_ops.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using pvisor::Mapping;
using pvisor::UniqueFd;

struct Msg {
    std::uint64_t seq;
    std::uint64_t payload;
};

constexpr std::uint64_t kStop = ~std::uint64_t{0};
constexpr pv_u32 kRingBytes = PV_RING_BYTES(2U);
constexpr pv_u32 kEntry = sizeof(Msg);
constexpr std::size_t kStatsOffset = kRingBytes; // the child's kick count, after the ring
constexpr std::size_t kMapBytes = kRingBytes + 4096U;

void kick(int efd, std::uint64_t* count) {
    const std::uint64_t one = 1;
    if (::write(efd, &one, sizeof(one)) != sizeof(one)) {
        std::abort();
    }
    ++*count;
}

void wait_kick(int efd) {
    std::uint64_t v = 0;
    if (::read(efd, &v, sizeof(v)) != sizeof(v)) {
        std::abort();
    }
}

// Child side of the ring: echo until the stop message; kick per decision or always.
[[noreturn]] void ring_echo(void* shared, int req_efd, int rsp_efd, bool always) {
    pv_back_ring r{};
    pv_back_ring_attach(&r, shared, kRingBytes, kEntry);
    std::uint64_t kicks = 0;
    auto* stats = static_cast<std::uint64_t*>(shared) + kStatsOffset / 8U;
    for (;;) {
        Msg m{};
        bool stop = false;
        pv_u32 made = 0;
        while (!stop && pv_back_consume_request(&r, &m, sizeof(m)) == 1) {
            stop = m.seq == kStop;
            pv_back_produce_response(&r, &m, sizeof(m));
            ++made;
        }
        const int notify = pv_back_push_responses(&r);
        if (always) {
            for (pv_u32 i = 0; i < made; ++i) {
                kick(rsp_efd, &kicks); // baseline: one eventfd write per message
            }
        } else if (notify != 0) {
            kick(rsp_efd, &kicks);
        }
        if (stop || r.broken) {
            __atomic_store_n(stats, kicks, __ATOMIC_RELEASE);
            ::_exit(0);
        }
        if (pv_back_final_check_for_requests(&r) == 0) {
            wait_kick(req_efd);
        }
    }
}

// Child side of the pipe baseline: echo bytes until EOF.
[[noreturn]] void pipe_echo(int in, int out) {
    std::vector<unsigned char> buf(64 * 1024);
    for (;;) {
        const ssize_t n = ::read(in, buf.data(), buf.size());
        if (n <= 0 || ::write(out, buf.data(), static_cast<std::size_t>(n)) != n) {
            ::_exit(0);
        }
    }
}

// The frontend process's end of a ring shared with a forked echo child.
class RingPeer {
  public:
    explicit RingPeer(bool always) : m_always(always) {
        m_mem = UniqueFd(::memfd_create("pv-ring-bench", MFD_CLOEXEC));
        if (!m_mem.valid() || ::ftruncate(m_mem.get(), kMapBytes) != 0) {
            std::abort();
        }
        void* p = ::mmap(nullptr, kMapBytes, PROT_READ | PROT_WRITE, MAP_SHARED, m_mem.get(), 0);
        if (p == MAP_FAILED) {
            std::abort();
        }
        m_map = Mapping(p, kMapBytes);
        m_req = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        m_rsp = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        pv_sring_init(p, kRingBytes);
        pv_front_ring_attach(&m_ring, p, kRingBytes, kEntry);
        m_child = ::fork();
        if (m_child == 0) {
            ring_echo(p, m_req.get(), m_rsp.get(), m_always);
        }
    }
    RingPeer(const RingPeer&) = delete;
    RingPeer& operator=(const RingPeer&) = delete;
    ~RingPeer() { stop(); }

    // Produces one request; false if the ring is full.
    bool produce(std::uint64_t seq) {
        const Msg m{seq, seq * 3U};
        return pv_front_produce(&m_ring, &m, sizeof(m)) == 0;
    }
    void push(pv_u32 produced) {
        const int notify = pv_front_push_requests(&m_ring);
        if (m_always) {
            for (pv_u32 i = 0; i < produced; ++i) {
                kick(m_req.get(), &m_kicks); // baseline: one eventfd write per message
            }
        } else if (notify != 0) {
            kick(m_req.get(), &m_kicks);
        }
    }
    // Reaps available responses (checking their order); sleeps first if `block` and none.
    pv_u32 reap(bool block) {
        pv_u32 n = 0;
        for (;;) {
            Msg m{};
            while (pv_front_consume_response(&m_ring, &m, sizeof(m)) == 1) {
                if (m.seq != m_next_rsp++) {
                    std::abort();
                }
                ++n;
            }
            if (n != 0 || !block) {
                return n;
            }
            if (pv_front_final_check_for_responses(&m_ring) == 0) {
                wait_kick(m_rsp.get());
            }
        }
    }
    pv_u32 free_slots() const { return pv_front_free_slots(&m_ring); }
    // Stops the child; returns the eventfd writes of both processes.
    std::uint64_t stop() {
        if (m_child > 0) {
            while (!produce(kStop)) {
                reap(true);
            }
            push(1);
            ::waitpid(m_child, nullptr, 0);
            m_child = -1;
            m_kicks += __atomic_load_n(static_cast<std::uint64_t*>(m_map.get()) + kStatsOffset / 8U,
                                       __ATOMIC_ACQUIRE);
        }
        return m_kicks;
    }

  private:
    bool m_always;
    UniqueFd m_mem;
    Mapping m_map;
    UniqueFd m_req;
    UniqueFd m_rsp;
    pv_front_ring m_ring{};
    pid_t m_child = -1;
    std::uint64_t m_kicks = 0;
    std::uint64_t m_next_rsp = 0;
};

void report(benchmark::State& state, std::uint64_t msgs, std::uint64_t kicks) {
    state.counters["msgs/s"] =
        benchmark::Counter(static_cast<double>(msgs), benchmark::Counter::kIsRate);
    state.counters["notif/msg"] = static_cast<double>(kicks) / static_cast<double>(msgs);
}

void ring_round_trip(benchmark::State& state, bool always) {
    const auto batch = static_cast<pv_u32>(state.range(0));
    RingPeer peer(always);
    std::uint64_t seq = 0;
    for (auto _ : state) {
        for (pv_u32 i = 0; i < batch; ++i) {
            peer.produce(seq++);
        }
        peer.push(batch);
        for (pv_u32 got = 0; got < batch;) {
            got += peer.reap(true);
        }
    }
    report(state, seq, peer.stop());
}

void ring_stream(benchmark::State& state, bool always) {
    const auto batch = static_cast<pv_u32>(state.range(0));
    RingPeer peer(always);
    std::uint64_t seq = 0;
    for (auto _ : state) {
        while (peer.free_slots() < batch) {
            peer.reap(true);
        }
        for (pv_u32 i = 0; i < batch; ++i) {
            peer.produce(seq++);
        }
        peer.push(batch);
        peer.reap(false);
    }
    report(state, seq, peer.stop());
}

void BM_RingRoundTrip(benchmark::State& state) {
    ring_round_trip(state, false);
}
void BM_EventfdPerMsgRoundTrip(benchmark::State& state) {
    ring_round_trip(state, true);
}
void BM_RingStream(benchmark::State& state) {
    ring_stream(state, false);
}
void BM_EventfdPerMsgStream(benchmark::State& state) {
    ring_stream(state, true);
}

void BM_PipeRoundTrip(benchmark::State& state) {
    const auto batch = static_cast<std::size_t>(state.range(0));
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) {
        std::abort();
    }
    UniqueFd w(to_child[1]);
    UniqueFd r(from_child[0]);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(to_child[1]); // else the child never sees EOF
        ::close(from_child[0]);
        pipe_echo(to_child[0], from_child[1]);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    std::vector<Msg> out(batch);
    std::vector<Msg> in(batch);
    std::uint64_t seq = 0;
    std::uint64_t syscalls = 0;
    for (auto _ : state) {
        for (Msg& m : out) {
            m = Msg{seq, seq * 3U};
            ++seq;
        }
        const std::size_t bytes = batch * sizeof(Msg);
        if (::write(w.get(), out.data(), bytes) != static_cast<ssize_t>(bytes)) {
            std::abort();
        }
        for (std::size_t got = 0; got < bytes;) {
            const ssize_t n =
                ::read(r.get(), reinterpret_cast<unsigned char*>(in.data()) + got, bytes - got);
            if (n <= 0) {
                std::abort();
            }
            got += static_cast<std::size_t>(n);
            ++syscalls;
        }
        if (in.back().seq != seq - 1U) {
            std::abort();
        }
    }
    w.reset();
    ::waitpid(child, nullptr, 0);
    // For the pipe, "notifications" are the parent's write and read wake-ups.
    report(state, seq, syscalls + static_cast<std::uint64_t>(state.iterations()));
}

#define PV_RING_BATCHES Arg(1)->Arg(8)->Arg(32)->Arg(128)->UseRealTime()
BENCHMARK(BM_RingRoundTrip)->PV_RING_BATCHES;
BENCHMARK(BM_EventfdPerMsgRoundTrip)->PV_RING_BATCHES;
BENCHMARK(BM_PipeRoundTrip)->PV_RING_BATCHES;
BENCHMARK(BM_RingStream)->PV_RING_BATCHES;
BENCHMARK(BM_EventfdPerMsgStream)->PV_RING_BATCHES;

} // namespace

BENCHMARK_MAIN();
