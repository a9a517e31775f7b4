// vmm_control_test.cpp: what the management and console sockets do to a running guest, on a
// real vCPU: pause stops a guest that counts in memory (no VM exits to catch it at) and
// unpause lets it go on; pinning shows in the vCPU thread's affinity; console.sock gets the
// UART's history and then its live output, and its input reaches the UART.
#include "console_hub.hpp"
#include "mgmt_target.hpp"
#include "tiny_guest.hpp"

#include "../unit/hypervisor/unix_client.hpp"

#include <gtest/gtest.h>

#include <sched.h>

#include <chrono>
#include <thread>

namespace pvisor::test {
namespace {

constexpr std::uint64_t kCounterGpa = 0x200000;

// loop: incq (0x200000); jmp loop
const std::vector<std::uint8_t> kCounter = {0x48, 0xFF, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00,
                                            0xEB, 0xF6};

// mov $0x3f8,%dx; mov $'A',%al; out %al,(%dx);
// wait: cmpq $0,(0x200000); je wait; mov $'B',%al; out %al,(%dx); i8042 reset
const std::vector<std::uint8_t> kPrintWaitPrint = {
    0x66, 0xBA, 0xF8, 0x03, 0xB0, 'A', 0xEE,
    0x48, 0x83, 0x3C, 0x25, 0x00, 0x00, 0x20, 0x00, 0x00, 0x74, 0xF5,
    0xB0, 'B', 0xEE, 0xB0, 0xFE, 0xE6, 0x64,
};

std::uint64_t counter(TinyGuest& g) { return g.vm().memory().read_obj<std::uint64_t>(kCounterGpa).value(); }

// Waits up to 10 s for `cond`.
template <typename Cond>
bool eventually(Cond cond) {
    for (int i = 0; i < 1000; ++i) {
        if (cond())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
}

// The guest runs on its own thread; the test ends it with stop_with().
struct Running {
    std::unique_ptr<TinyGuest> guest;
    std::thread thread;
    int status = -1;
    void start() { thread = std::thread([this] { status = guest->vm().run(); }); }
    ~Running() {
        if (thread.joinable()) {
            guest->vm().stop_with(7, "test over");
            thread.join();
        }
    }
};

#define MAKE_GUEST(r, code)                                                                        \
    auto made = TinyGuest::create(code, nullptr);                                                  \
    if (!made.ok() && made.error() == Errc::not_found)                                             \
        GTEST_SKIP() << "no /dev/kvm";                                                              \
    ASSERT_TRUE(made.ok());                                                                        \
    r.guest = std::move(made).value()

TEST(VmmControl, PauseStopsACountingGuestAndUnpauseResumesIt) {
    Running r;
    MAKE_GUEST(r, kCounter);
    r.start();
    ASSERT_TRUE(eventually([&] { return counter(*r.guest) > 1000; }));
    Vm& vm = r.guest->vm();
    vm.pause();
    EXPECT_TRUE(vm.paused());
    const std::uint64_t frozen = counter(*r.guest);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(counter(*r.guest), frozen) << "the guest ran while paused";
    vm.pause(); // idempotent
    EXPECT_EQ(counter(*r.guest), frozen);
    vm.unpause();
    EXPECT_FALSE(vm.paused());
    EXPECT_TRUE(eventually([&] { return counter(*r.guest) > frozen + 1000; }));
    vm.unpause(); // idempotent
}

TEST(VmmControl, PausedBeforeItStartsTheGuestNeverRuns) {
    Running r;
    MAKE_GUEST(r, kCounter);
    r.guest->vm().pause();
    r.start();
    ASSERT_TRUE(eventually([&] { return r.guest->vm().vcpu(0).tid() != 0; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(counter(*r.guest), 0U);
    r.guest->vm().unpause();
    EXPECT_TRUE(eventually([&] { return counter(*r.guest) > 1000; }));
}

TEST(VmmControl, StopWhilePausedEndsTheRun) {
    Running r;
    MAKE_GUEST(r, kCounter);
    r.start();
    ASSERT_TRUE(eventually([&] { return counter(*r.guest) > 0; }));
    r.guest->vm().pause();
    r.guest->vm().stop_with(7, "destroyed by the toolstack");
    r.thread.join();
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.guest->vm().exit_reason(), "destroyed by the toolstack");
}

TEST(VmmControl, InfoAndPinThroughTheTarget) {
    Running r;
    MAKE_GUEST(r, kCounter);
    mgmt::VmTarget target(r.guest->vm(), {9, "tiny", 16 << 20}, [] { return std::string("x 1\n"); });
    r.start();
    ASSERT_TRUE(eventually([&] { return counter(*r.guest) > 0; }));
    cpu_set_t own;
    ASSERT_EQ(::sched_getaffinity(0, sizeof own, &own), 0);
    unsigned first = 0;
    while (!CPU_ISSET(first, &own))
        ++first;

    EXPECT_FALSE(target.pin_vcpu(0, {first}).has_value());
    const pid_t tid = r.guest->vm().vcpu(0).tid();
    cpu_set_t now;
    ASSERT_EQ(::sched_getaffinity(tid, sizeof now, &now), 0);
    EXPECT_EQ(CPU_COUNT(&now), 1);
    EXPECT_TRUE(CPU_ISSET(first, &now));

    auto e = target.pin_vcpu(1, {first});
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, mgmt::Code::invalid_argument);
    EXPECT_EQ(e->message, "vcpu-pin: vcpu 1 does not exist (the domain has 1)");
    e = target.pin_vcpu(0, {first, 4095});
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, mgmt::Code::invalid_argument);
    EXPECT_EQ(e->message.rfind("vcpu-pin: cpu 4095 is not a host CPU this VMM may use (", 0), 0U)
        << e->message;
    ASSERT_EQ(::sched_getaffinity(tid, sizeof now, &now), 0);
    EXPECT_EQ(CPU_COUNT(&now), 1) << "a refused pin changed the affinity";

    const mgmt::Info info = target.info();
    EXPECT_FALSE(info.paused);
    EXPECT_EQ(info.domid, 9U);
    EXPECT_EQ(info.name, "tiny");
    EXPECT_EQ(info.memory_bytes, 16U << 20);
    EXPECT_GT(info.rss_kb, 0U);
    EXPECT_EQ(info.counters, "x 1\n");
    ASSERT_EQ(info.vcpus.size(), 1U);
    EXPECT_EQ(info.vcpus[0].tid, tid);
    EXPECT_EQ(info.vcpus[0].affinity, std::vector<unsigned>{first});
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_GT(target.info().vcpus[0].cpu_ns, info.vcpus[0].cpu_ns) << "a spinning vCPU's CPU time";
    target.pause();
    EXPECT_TRUE(target.info().paused);
}

TEST(VmmControl, ConsoleSocketGetsHistoryThenLiveOutput) {
    TempDir dir;
    auto hub = ConsoleHub::create(dir.path() + "/console.sock");
    ASSERT_TRUE(hub.ok());
    Running r;
    MAKE_GUEST(r, kPrintWaitPrint);
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK), 0);
    UniqueFd out_r(pipe_fds[0]), out_w(pipe_fds[1]);
    ConsoleHub* h = hub->get();
    r.guest->vm().attach_serial(out_w.get(), [h](const char* d, std::size_t n) { h->output(d, n); });
    Vm* vm = &r.guest->vm();
    ASSERT_TRUE(h->start([vm](const char* d, std::size_t n) {
                     vm->serial()->push_input(reinterpret_cast<const std::uint8_t*>(d), n);
                 }).ok());
    r.start();
    char first = 0;
    ASSERT_TRUE(eventually([&] { return ::read(out_r.get(), &first, 1) == 1; }));
    EXPECT_EQ(first, 'A'); // stdout's sink still gets it

    auto c = connect_unix(dir.path() + "/console.sock");
    ASSERT_TRUE(c.valid());
    EXPECT_EQ(read_until(c.get(), "A"), "A"); // history
    ASSERT_TRUE(r.guest->vm().memory().write_obj(kCounterGpa, std::uint64_t{1}).ok());
    EXPECT_EQ(read_until(c.get(), "B"), "B"); // live
    r.thread.join();
    EXPECT_EQ(r.status, 3);

    // Input from the socket lands in the UART's receive buffer (offset 0 reads it).
    ASSERT_TRUE(send_all(c.get(), "z"));
    ASSERT_TRUE(eventually([&] { return (r.guest->vm().serial()->read(5) & 1) != 0; }));
    EXPECT_EQ(r.guest->vm().serial()->read(0), 'z');
    hub->reset(); // its input goes to this VM: stopped first
}

} // namespace
} // namespace pvisor::test
