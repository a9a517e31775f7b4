// domain_saver.cpp: pause, capture, write the save stream, resume as asked.
#include "domain_saver.hpp"

#include "domain_image.hpp"
#include "kvm_vm.hpp"
#include "memory_image.hpp"
#include "pv_services.hpp"
#include "store_service.hpp"

#include <pv/pvisor.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace pvisor {

Result<SaveOutcome> DomainSaver::write_stream(int fd, std::string& why) {
    snapshot::DomainImage image;
    snapshot::DomainRecord& d = image.domain;
    d.ram_bytes = m_vm.memory().ram_bytes();
    d.special_gpa = PV_SPECIAL_PAGES_GPA;
    d.special_pages = PV_SPECIAL_PAGES_COUNT;
    d.vcpus = m_vm.vcpu_count();
    d.tsc_khz = m_vm.guest_tsc_khz();
    d.domid = m_domid;
    std::memcpy(d.name, m_name.data(), std::min(m_name.size(), sizeof d.name - 1));
    PV_TRY_ASSIGN(vcpus, m_vm.capture_vcpus(why));
    image.vcpus = std::move(vcpus);
    PV_TRY_ASSIGN(vm, snapshot::capture_vm(m_vm.vm_fd(), why));
    image.vm = vm;
    image.pv = m_pv.save_state();
    image.platform = m_vm.platform_device().save();
    if (m_store != nullptr)
        image.store = m_store->snapshot();

    snapshot::FdSink sink(fd);
    snapshot::StreamWriter w(sink);
    auto io = [&why](const char* what) {
        why = std::string(what) + ": " + std::strerror(errno);
        return Errc::io_error;
    };
    if (!w.begin().ok() || !w.record_obj(snapshot::RecordType::domain, true, d).ok())
        return io("write");
    const std::vector<std::uint64_t>& out = image.pv.balloon_out;
    auto stats = snapshot::write_memory(w, m_vm.memory(), [&out](std::uint64_t gfn) {
        return std::binary_search(out.begin(), out.end(), gfn);
    });
    if (!stats.ok())
        return io("memory");
    const Status st = snapshot::write_state_records(w, image);
    if (st.error() == Errc::too_big) {
        why = "a state record is larger than the stream's limit (the store snapshot?)";
        return Errc::too_big;
    }
    if (!st.ok() || !w.finish().ok())
        return io("write");
    if (::fdatasync(fd) != 0)
        return io("fdatasync");
    SaveOutcome o;
    o.bytes = w.bytes();
    o.pages = stats->pages_written;
    o.zero_pages = stats->pages_zero;
    return o;
}

Result<SaveOutcome> DomainSaver::save(const SaveOptions& opt, std::string& why) {
    const auto start = std::chrono::steady_clock::now();
    UniqueFd fd(::open(opt.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        why = opt.path + ": " + std::strerror(errno);
        return Errc::io_error;
    }
    const bool was_paused = m_vm.paused();
    m_vm.pause();
    auto outcome = write_stream(fd.get(), why);
    fd.reset();
    if (!outcome.ok()) {
        ::unlink(opt.path.c_str());
        if (!was_paused)
            m_vm.unpause();
        return outcome;
    }
    outcome->ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count());
    if (opt.keep_running && !opt.leave_paused && !was_paused)
        m_vm.unpause();
    return outcome;
}

} // namespace pvisor
