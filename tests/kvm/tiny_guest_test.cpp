// tiny_guest_test.cpp: serial output, the hypercall port and the notify port on a real vCPU.
#include "tiny_guest.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace pvisor::test {
namespace {

class RecordingHooks final : public PvHooks {
  public:
    std::int32_t hypercall(VcpuAccess& vcpu, const HypercallRegs& regs) override {
        cpl = vcpu.cpl();
        last = regs;
        ++calls;
        return static_cast<std::int32_t>(regs.nr + regs.args[0]);
    }
    void notify(VcpuAccess&, std::uint32_t port) override { notified = port; }
    void upcall_enabled(unsigned) override {}

    HypercallRegs last;
    unsigned cpl = 99;
    std::atomic<int> calls{0};
    std::atomic<std::uint32_t> notified{0};
};

// mov $'A',%al; mov $0x3f8,%dx; out %al,(%dx); mov $17,%eax; mov $5,%edi; mov $7,%esi;
// inl $0xE0,%eax; outl %eax,$0xE4; mov $0xFE,%al; out %al,$0x64
const std::vector<std::uint8_t> kGuest = {
    0xB0, 'A', 0x66, 0xBA, 0xF8, 0x03, 0xEE,
    0xB8, 17, 0, 0, 0, 0xBF, 5, 0, 0, 0, 0xBE, 7, 0, 0, 0,
    0xE5, 0xE0, 0xE7, 0xE4, 0xB0, 0xFE, 0xE6, 0x64,
};

TEST(TinyGuest, SerialHypercallNotifyReset) {
    RecordingHooks hooks;
    auto g = TinyGuest::create(kGuest, &hooks);
    if (!g.ok() && g.error() == Errc::not_found)
        GTEST_SKIP() << "no /dev/kvm";
    ASSERT_TRUE(g.ok());
    EXPECT_EQ((*g)->vm().run(), 3); // i8042 reset
    EXPECT_EQ((*g)->serial_output(), "A");
    EXPECT_EQ(hooks.calls.load(), 1);
    EXPECT_EQ(hooks.last.nr, 17U);
    EXPECT_EQ(hooks.last.args[0], 5U);
    EXPECT_EQ(hooks.last.args[1], 7U);
    EXPECT_EQ(hooks.cpl, 0U);
    EXPECT_EQ(hooks.notified.load(), 22U); // the hypercall's result, sent as a port
    // The counters a metrics file shows: one exit of each PV kind, the UART's and the
    // reset's port writes as plain port I/O.
    std::string counters;
    (*g)->vm().append_counters(counters);
    EXPECT_NE(counters.find("vcpu0.exits.hypercall 1\n"), std::string::npos) << counters;
    EXPECT_NE(counters.find("vcpu0.exits.notify 1\n"), std::string::npos) << counters;
    EXPECT_EQ(counters.find("vcpu0.exits.pio 0\n"), std::string::npos) << counters;
}

} // namespace
} // namespace pvisor::test
