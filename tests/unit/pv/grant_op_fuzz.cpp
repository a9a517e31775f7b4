// grant_op_fuzz.cpp: libFuzzer target: hostile grant_table_op calls and table contents
// against pvisor's GrantTable (frame placement, setup_table, query_size, copy, versions).
#include "grant_table.hpp"

#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/xen.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

using namespace pvisor;

constexpr std::uint64_t kRam = 4 << 20;
constexpr std::uint64_t kTableArea = 0x100000; // frames are placed at 0x100..0x107
constexpr std::uint64_t kArg = 0x200000;       // the op array
constexpr std::uint64_t kArgBytes = 64 * 1024;

// Identity GVA = GPA, as FakeVcpu in the unit tests.
class FuzzVcpu final : public VcpuAccess {
  public:
    unsigned id() const override { return 0; }
    unsigned cpl() const override { return 0; }
    Result<std::uint64_t> translate_gva(std::uint64_t gva, bool) override { return gva; }
    Result<std::uint64_t> guest_tsc() override { return std::uint64_t{0}; }
    std::uint64_t tsc_khz() const override { return 1; }
};

const GuestMemory& memory() {
    static GuestMemory mem = std::move(GuestMemory::create(kRam).value());
    return mem;
}

class Input {
  public:
    Input(const std::uint8_t* d, std::size_t n) : m_d(d), m_n(n) {}
    bool empty() const { return m_at >= m_n; }
    std::uint8_t byte() { return m_at < m_n ? m_d[m_at++] : 0; }
    std::uint16_t u16() { return static_cast<std::uint16_t>(byte() | byte() << 8); }
    // Copies up to len bytes of input to guest memory at gpa (the rest stays as it was).
    void to_guest(const GuestMemory& mem, std::uint64_t gpa, std::size_t len) {
        const std::size_t n = len < m_n - m_at ? len : m_n - m_at;
        if (n > 0 && !mem.write(gpa, m_d + m_at, n).ok())
            std::abort();
        m_at += n;
    }

  private:
    const std::uint8_t* m_d;
    std::size_t m_n;
    std::size_t m_at = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const GuestMemory& mem = memory();
    auto area = mem.translate(kTableArea, 8 * kPageSize).value();
    std::memset(area.data(), 0, area.size());
    GrantTable table(mem, 4);
    FuzzVcpu vcpu;
    Input in(data, size);

    const unsigned placements = in.byte() % 6;
    for (unsigned i = 0; i < placements; ++i) {
        const std::uint64_t idx = in.byte() % 6;
        const std::uint8_t sel = in.byte();
        const std::uint64_t gpfn = sel < 200 ? 0x100 + sel % 8 : in.u16();
        (void)table.place_frame(idx, gpfn);
    }
    // Table contents after placement (placement zeroes new frames).
    in.to_guest(mem, kTableArea, in.u16() % (8 * kPageSize));
    while (!in.empty()) {
        const std::uint64_t cmd = in.byte() % 13;
        const std::uint64_t count = in.byte() % 5;
        in.to_guest(mem, kArg, in.u16() % kArgBytes);
        const std::uint64_t uop = in.byte() < 240 ? kArg : std::uint64_t{in.u16()} << 12;
        (void)table.op(vcpu, cmd, uop, count);
        if (cmd != GNTTABOP_copy || uop != kArg || count == 0)
            continue;
        // The last op's status is the call's last write (an earlier one may have been
        // copied over by a later op, which the guest is free to ask for).
        const auto last = mem.read_obj<gnttab_copy>(kArg + (count - 1) * sizeof(gnttab_copy));
        if (last.value().status > GNTST_okay || last.value().status < GNTST_no_space)
            std::abort(); // every op is answered with a GNTST code
    }
    return 0;
}
