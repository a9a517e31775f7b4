// ring_stress.cpp: two threads stream sequence numbers through pv/ring_ops.h (built with TSan).
//
// The frontend thread produces requests and consumes responses, the backend thread echoes
// each request as a response. Both sleep on an eventfd only when their final check says so,
// and signal the peer only when the push says so: a wrong barrier or a wrong notify
// decision shows up as a TSan report, a sequence error, or a hang that the watchdog turns
// into a failure. Usage: ring_tsan_stress [messages] (default 10,000,000).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <pv/ring_ops.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::uint64_t kStop = ~std::uint64_t{0};
constexpr pv_u32 kBytes = PV_RING_BYTES(1U); // 8-byte entries: 256 slots
constexpr auto kStallLimit = std::chrono::seconds(60);

struct Shared {
    std::vector<std::uint64_t> page = std::vector<std::uint64_t>(kBytes / 8U);
    int req_efd = eventfd(0, EFD_CLOEXEC);
    int rsp_efd = eventfd(0, EFD_CLOEXEC);
    std::atomic<std::uint64_t> progress{0};
    std::atomic<int> failed{0};
    std::uint64_t notifies_to_back = 0;
    std::uint64_t notifies_to_front = 0;
    std::uint64_t back_sleeps = 0;
    std::uint64_t front_sleeps = 0;
};

void kick(int efd) {
    const std::uint64_t one = 1;
    if (write(efd, &one, sizeof(one)) != sizeof(one)) {
        std::abort();
    }
}

void sleep_on(int efd) {
    std::uint64_t value = 0;
    if (read(efd, &value, sizeof(value)) != sizeof(value)) {
        std::abort();
    }
}

void fail(Shared* s, const char* what, std::uint64_t a, std::uint64_t b) {
    std::fprintf(stderr, "ring_stress: %s (%llu vs %llu)\n", what,
                 static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
    s->failed.store(1);
    std::_Exit(1); // the peer thread may be asleep waiting for us
}

// Echoes requests until the stop request; checks they arrive in order.
void backend(Shared* s) {
    pv_back_ring r{};
    pv_back_ring_attach(&r, s->page.data(), kBytes, 8U);
    std::uint64_t expect = 0;
    for (;;) {
        std::uint64_t v = 0;
        int n = 0;
        while ((n = pv_back_consume_request(&r, &v, sizeof(v))) == 1) {
            if (v != kStop && v != expect) {
                fail(s, "request out of order", v, expect);
            }
            ++expect;
            pv_back_produce_response(&r, &v, sizeof(v));
            if (v == kStop) {
                if (pv_back_push_responses(&r)) {
                    kick(s->rsp_efd);
                }
                return;
            }
        }
        if (n < 0) {
            fail(s, "backend saw a broken ring", r.req_cons, 0);
            return;
        }
        if (pv_back_push_responses(&r)) {
            ++s->notifies_to_front;
            kick(s->rsp_efd);
        }
        if (pv_back_final_check_for_requests(&r) == 0) {
            ++s->back_sleeps;
            sleep_on(s->req_efd);
        }
    }
}

// Consumes every response available; returns false on an ordering error.
bool drain(Shared* s, pv_front_ring* r, std::uint64_t* got) {
    std::uint64_t v = 0;
    while (pv_front_consume_response(r, &v, sizeof(v)) == 1) {
        if (v == kStop) {
            return true;
        }
        if (v != *got) {
            fail(s, "response out of order", v, *got);
            return false;
        }
        ++*got;
        s->progress.store(*got, std::memory_order_relaxed);
    }
    return !r->broken;
}

void frontend(Shared* s, std::uint64_t total) {
    pv_front_ring r{};
    pv_front_ring_attach(&r, s->page.data(), kBytes, 8U);
    std::uint64_t sent = 0;
    std::uint64_t got = 0;
    std::uint32_t lcg = 1;
    while (got < total && s->failed.load() == 0) {
        // Alternate 4096-message epochs: streaming (fill the ring, reap as responses come)
        // and ping-pong (a random batch of 1..64, then wait for all of it), where both
        // threads go to sleep around every batch and a lost wake-up would hang.
        const bool ping_pong = ((sent >> 12) & 1U) != 0;
        lcg = lcg * 1103515245U + 12345U;
        const std::uint64_t limit = ping_pong ? sent + 1U + ((lcg >> 16) % 64U) : total;
        while (sent < total && sent < limit && pv_front_produce(&r, &sent, sizeof(sent)) == 0) {
            ++sent;
        }
        if (pv_front_push_requests(&r)) {
            ++s->notifies_to_back;
            kick(s->req_efd);
        }
        if (!drain(s, &r, &got)) {
            return;
        }
        // Nothing left to produce now (ring full, all sent, or ping-pong batch out): sleep
        // until a response.
        const bool blocked = pv_front_free_slots(&r) == 0 || sent == total || ping_pong;
        while (got < sent && blocked && pv_front_final_check_for_responses(&r) == 0) {
            ++s->front_sleeps;
            sleep_on(s->rsp_efd);
            if (!drain(s, &r, &got)) {
                return;
            }
            if (!ping_pong || got == sent) {
                break;
            }
        }
    }
    std::uint64_t stop = kStop;
    while (pv_front_produce(&r, &stop, sizeof(stop)) != 0) {
        drain(s, &r, &got);
    }
    if (pv_front_push_requests(&r)) {
        kick(s->req_efd);
    }
}

// Fails the run (instead of hanging) if no response arrives for kStallLimit.
void watchdog(Shared* s, std::mutex* m, std::condition_variable* cv, const bool* done) {
    std::unique_lock<std::mutex> lock(*m);
    std::uint64_t last = 0;
    auto last_change = std::chrono::steady_clock::now();
    while (!*done) {
        cv->wait_for(lock, std::chrono::seconds(1));
        const std::uint64_t now = s->progress.load(std::memory_order_relaxed);
        if (now != last) {
            last = now;
            last_change = std::chrono::steady_clock::now();
        } else if (!*done && std::chrono::steady_clock::now() - last_change > kStallLimit) {
            std::fprintf(stderr, "ring_stress: no progress at %llu messages: lost wake-up\n",
                         static_cast<unsigned long long>(now));
            std::_Exit(2);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    const std::uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000000U;
    Shared s;
    if (s.req_efd < 0 || s.rsp_efd < 0) {
        std::perror("eventfd");
        return 1;
    }
    pv_sring_init_at(s.page.data(), kBytes, 0xFFFFF000U); // wraps after 4096 messages
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::thread dog(watchdog, &s, &m, &cv, &done);
    std::thread back(backend, &s);
    std::thread front(frontend, &s, total);
    front.join();
    back.join();
    {
        std::lock_guard<std::mutex> lock(m);
        done = true;
    }
    cv.notify_one();
    dog.join();
    const std::uint64_t got = s.progress.load();
    std::printf("messages %llu/%llu, notifications to backend %llu, to frontend %llu, "
                "sleeps back %llu front %llu\n",
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(s.notifies_to_back),
                static_cast<unsigned long long>(s.notifies_to_front),
                static_cast<unsigned long long>(s.back_sleeps),
                static_cast<unsigned long long>(s.front_sleeps));
    close(s.req_efd);
    close(s.rsp_efd);
    return (s.failed.load() == 0 && got == total) ? 0 : 1;
}
