// mgmt_target.cpp: pause, info, vcpu-pin, destroy and save on the VMM's Vm.
#include "mgmt_target.hpp"

#include "cli.hpp"
#include "domain_saver.hpp"
#include "kvm_vm.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace pvisor::mgmt {
namespace {

// The CPUs this process may use: the main thread's affinity (what it was started with),
// which the kernel already limits to online CPUs.
std::vector<unsigned> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(::getpid(), sizeof set, &set) != 0)
        return {};
    std::vector<unsigned> cpus;
    for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
        if (CPU_ISSET(c, &set))
            cpus.push_back(c);
    }
    return cpus;
}

Error invalid(std::string message) { return Error{Code::invalid_argument, std::move(message)}; }

} // namespace

std::string cpu_list_text(const std::vector<unsigned>& cpus) {
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(cpus[i]);
        if (j > i)
            out += '-' + std::to_string(cpus[j]);
        i = j + 1;
    }
    return out.empty() ? "none" : out;
}

std::uint64_t resident_kb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        constexpr std::string_view kKey = "VmRSS:";
        if (line.compare(0, kKey.size(), kKey) != 0)
            continue;
        const std::size_t digits = line.find_first_of("0123456789");
        std::uint64_t kb = 0;
        if (digits != std::string::npos)
            (void)std::from_chars(line.data() + digits, line.data() + line.size(), kb);
        return kb;
    }
    return 0;
}

void VmTarget::pause() { m_vm.pause(); }

void VmTarget::unpause() { m_vm.unpause(); }

Info VmTarget::info() {
    Info info;
    info.paused = m_vm.paused();
    info.domid = m_id.domid;
    info.name = m_id.name;
    info.memory_bytes = m_id.memory_bytes;
    info.rss_kb = resident_kb();
    // The server starts after Vm::create_vcpus: every vCPU exists.
    for (unsigned i = 0; i < m_vm.vcpu_count(); ++i) {
        const Vcpu& v = m_vm.vcpu(i);
        info.vcpus.push_back({i, v.total_exits(), v.cpu_ns(), v.tid(), v.affinity()});
    }
    if (m_counters)
        info.counters = m_counters();
    return info;
}

std::optional<Error> VmTarget::pin_vcpu(std::uint64_t vcpu, const std::vector<std::uint64_t>& cpus) {
    if (vcpu >= m_vm.vcpu_count())
        return invalid("vcpu-pin: vcpu " + std::to_string(vcpu) + " does not exist (the domain has " +
                       std::to_string(m_vm.vcpu_count()) + ")");
    const std::vector<unsigned> allowed = allowed_cpus();
    cpu_set_t set;
    CPU_ZERO(&set);
    for (const std::uint64_t c : cpus) {
        if (c >= CPU_SETSIZE || std::find(allowed.begin(), allowed.end(), c) == allowed.end())
            return invalid("vcpu-pin: cpu " + std::to_string(c) +
                           " is not a host CPU this VMM may use (" + cpu_list_text(allowed) + ")");
        CPU_SET(static_cast<unsigned>(c), &set);
    }
    if (!m_vm.vcpu(static_cast<unsigned>(vcpu)).pin(set).ok())
        return invalid("vcpu-pin: vcpu " + std::to_string(vcpu) + ": " + std::strerror(errno));
    return std::nullopt;
}

void VmTarget::destroy() { m_vm.stop_with(kExitStopped, "destroyed by the toolstack"); }

std::optional<Error> VmTarget::save(const Request& req, Saved& saved) {
    if (m_saver == nullptr)
        return Error{Code::failed, "save: this VMM cannot save its domain"};
    std::string why;
    auto out = m_saver->save({req.path, req.keep_running, req.leave_paused}, why);
    if (!out.ok())
        return Error{Code::failed, "save: " + why};
    saved = Saved{out->bytes, out->pages, out->zero_pages, out->ms};
    return std::nullopt;
}

void VmTarget::saved_exit(const std::string& path) {
    m_vm.stop_with(kExitSaved, "saved to " + path);
}

} // namespace pvisor::mgmt
