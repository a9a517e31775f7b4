// mgmt_target.hpp: the management requests acted out on the running VM (pause, figures,
// vCPU pinning, destroy).
#pragma once

#include "mgmt_server.hpp"

#include <functional>
#include <string>

namespace pvisor {
class Vm;
class DomainSaver;
}

namespace pvisor::mgmt {

struct VmIdentity {
    std::uint16_t domid = 0;
    std::string name;
    std::uint64_t memory_bytes = 0;
};

class VmTarget final : public Target {
  public:
    // `counters` returns the --metrics lines (any thread).
    // `saver`: null if the VMM cannot save (save then answers failed).
    VmTarget(Vm& vm, VmIdentity id, std::function<std::string()> counters,
             DomainSaver* saver = nullptr)
        : m_vm(vm), m_id(std::move(id)), m_counters(std::move(counters)), m_saver(saver) {}

    void pause() override;
    void unpause() override;
    [[nodiscard]] Info info() override;
    [[nodiscard]] std::optional<Error> pin_vcpu(std::uint64_t vcpu,
                                               const std::vector<std::uint64_t>& cpus) override;
    void destroy() override;
    [[nodiscard]] std::optional<Error> save(const Request& req, Saved& saved) override;
    void saved_exit(const std::string& path) override;

  private:
    Vm& m_vm;
    VmIdentity m_id;
    std::function<std::string()> m_counters;
    DomainSaver* m_saver;
};

// CPU numbers (ascending) as "0-3,6" for messages; "none" for none.
[[nodiscard]] std::string cpu_list_text(const std::vector<unsigned>& cpus);
// The process's resident set in KiB from /proc/self/status (0 if unreadable).
[[nodiscard]] std::uint64_t resident_kb();

} // namespace pvisor::mgmt
