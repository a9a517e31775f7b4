// pv_fixture.hpp: PvServices over a FakePlatform, called as a guest calls it (GVA = GPA),
// with the argument of each call staged at one guest address.
#pragma once

#include "fake_platform.hpp"
#include "pv_services.hpp"

#include <pv/memory.h>
#include <pv/xen.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

namespace pvisor::test {

inline constexpr std::uint64_t kArgGpa = 0x20000; // where PvFixture::put() stages an argument

class PvFixture : public ::testing::Test {
  protected:
    explicit PvFixture(unsigned vcpus = 1) : platform(vcpus), m_vcpus(vcpus) {}
    void SetUp() override {
        PvConfig cfg;
        cfg.vcpus = m_vcpus;
        cfg.console_on_stdio = false;
        pv = std::move(PvServices::create(platform, cfg).value());
    }

    template <typename T>
    void put(const T& v, std::uint64_t at = kArgGpa) {
        ASSERT_TRUE(platform.m_mem.write_obj(at, v).ok());
    }
    template <typename T>
    T get(std::uint64_t at = kArgGpa) {
        return platform.m_mem.read_obj<T>(at).value();
    }
    std::int32_t call(std::uint64_t nr, std::uint64_t a0 = 0, std::uint64_t a1 = 0,
                      std::uint64_t a2 = 0, VcpuAccess* v = nullptr) {
        HypercallRegs r;
        r.nr = nr;
        r.args[0] = a0;
        r.args[1] = a1;
        r.args[2] = a2;
        return pv->hypercall(v != nullptr ? *v : vcpu0, r);
    }
    // add_to_physmap(space, idx, gpfn) for this domain.
    std::int32_t physmap(std::uint32_t space, std::uint64_t idx, std::uint64_t gpfn) {
        xen_add_to_physmap x{};
        x.domid = DOMID_SELF;
        x.space = space;
        x.idx = idx;
        x.gpfn = gpfn;
        put(x);
        return call(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, kArgGpa);
    }

    FakePlatform platform;
    FakeVcpu vcpu0{0};
    std::unique_ptr<PvServices> pv;

  private:
    unsigned m_vcpus;
};

} // namespace pvisor::test
