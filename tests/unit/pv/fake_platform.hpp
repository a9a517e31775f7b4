// fake_platform.hpp: a Platform and VcpuAccess over real GuestMemory for PV service tests.
#pragma once

#include "platform.hpp"

#include <pv/pvisor.h>

#include <atomic>
#include <vector>

namespace pvisor::test {

class FakePlatform final : public Platform {
  public:
    explicit FakePlatform(unsigned vcpus)
        : m_mem(std::move(GuestMemory::create(16 << 20, PV_SPECIAL_PAGES_GPA,
                                              PV_SPECIAL_PAGES_COUNT).value())),
          m_upcalls(vcpus) {}
    const GuestMemory& memory() const override { return m_mem; }
    unsigned vcpu_count() const override { return static_cast<unsigned>(m_upcalls.size()); }
    void raise_upcall(unsigned vcpu) override { ++m_upcalls.at(vcpu); }
    void request_shutdown(ShutdownReason r) override { m_shutdowns.push_back(r); }
    Status add_notify_eventfd(std::uint32_t, int) override { return {}; }
    Status remove_notify_eventfd(std::uint32_t, int) override { return {}; }

    GuestMemory m_mem;
    std::vector<unsigned> m_upcalls;
    std::vector<ShutdownReason> m_shutdowns;
};

// Identity-mapped GVA = GPA; CPL and id settable.
class FakeVcpu final : public VcpuAccess {
  public:
    explicit FakeVcpu(unsigned id, unsigned cpl = 0) : m_id(id), m_cpl(cpl) {}
    unsigned id() const override { return m_id; }
    unsigned cpl() const override { return m_cpl; }
    Result<std::uint64_t> translate_gva(std::uint64_t gva, bool) override { return gva; }
    Result<std::uint64_t> guest_tsc() override { return std::uint64_t{1000000}; }
    std::uint64_t tsc_khz() const override { return 2'000'000; }

  private:
    unsigned m_id;
    unsigned m_cpl;
};

} // namespace pvisor::test
