// domain_saver.hpp: `save` on vmm.sock: the paused domain's KVM state, pvisor's PV, platform
// device and store state, and its memory, written to a save stream file (docs/save-format.md).
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>

namespace pvisor {

class Vm;
class PvServices;
namespace store {
class StoreService;
}

struct SaveOptions {
    std::string path;          // absolute; created or truncated, mode 0600
    bool keep_running = false; // a snapshot: the domain goes on afterwards (xl save -c)
    bool leave_paused = false; // ... but stays paused (xl save -p)
};

struct SaveOutcome {
    std::uint64_t bytes = 0;      // the stream's size
    std::uint64_t pages = 0;      // memory pages written
    std::uint64_t zero_pages = 0; // pages that held data but only zeros: not written
    std::uint64_t ms = 0;         // from pause to the file synced
};

class DomainSaver {
  public:
    // `store`: the VMM's own store, or null in managed mode (the toolstack saves its own).
    DomainSaver(Vm& vm, PvServices& pv, store::StoreService* store, std::uint16_t domid,
                std::string name)
        : m_vm(vm), m_pv(pv), m_store(store), m_domid(domid), m_name(std::move(name)) {}

    // Pauses the domain (a no-op if paused), writes the stream and syncs it. Afterwards the
    // domain runs again only if it was running and keep_running && !leave_paused; after a
    // failure it is left as it was before (running or paused) and the partial file removed.
    // `why` says what failed (the file, a KVM ioctl, the sink).
    [[nodiscard]] Result<SaveOutcome> save(const SaveOptions& opt, std::string& why);

  private:
    [[nodiscard]] Result<SaveOutcome> write_stream(int fd, std::string& why);

    Vm& m_vm;
    PvServices& m_pv;
    store::StoreService* m_store;
    std::uint16_t m_domid;
    std::string m_name;
};

} // namespace pvisor
