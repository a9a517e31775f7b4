// pv_services_stub.cpp: placeholder PV services answering every hypercall with -ENOSYS,
// until hypervisor/pv provides the real table.
#include "pv_services.hpp"

#include <pv/xen.h>

namespace pvisor {
namespace {

class StubServices final : public PvServices {
  public:
    std::int32_t hypercall(VcpuAccess&, const HypercallRegs&) override { return -XEN_ENOSYS; }
    void notify(VcpuAccess&, std::uint32_t) override {}
    void upcall_enabled(unsigned) override {}
    Status start() override { return {}; }
    void stop() override {}
};

} // namespace

Result<std::unique_ptr<PvServices>> PvServices::create(Platform&, const PvConfig&) {
    return std::unique_ptr<PvServices>(std::make_unique<StubServices>());
}

} // namespace pvisor
