// run_dir.hpp: where the toolstack keeps its sockets and state (/run/pvisor by default).
#pragma once

#include "atomic_file.hpp"
#include "store_tree.hpp"

#include <string>

namespace pvisor::toolstack {

// The toolstack's directory: PVISOR_RUN_DIR if set (tests, a second toolstack on one host),
// else /run/pvisor. Everything the service, the CLI and the VMMs it starts agree on.
struct RunDir {
    std::string root;

    [[nodiscard]] static RunDir from_env();
    [[nodiscard]] std::string api_socket() const { return root + "/pvisord.sock"; }
    [[nodiscard]] std::string store_socket() const { return root + "/xenstored.sock"; }
    [[nodiscard]] std::string lock_file() const { return root + "/pvisord.lock"; }
    [[nodiscard]] std::string log_file() const { return root + "/pvisord.log"; }
    [[nodiscard]] std::string store_snapshot() const { return root + "/store.snap"; }
    [[nodiscard]] std::string records_dir() const { return root + "/domains"; }
    [[nodiscard]] std::string record(store::DomId d) const {
        return records_dir() + "/" + std::to_string(d) + ".json";
    }
    // The VMM's control directory: guest.ctl, vmm.sock, console.sock, exit, logs.
    [[nodiscard]] std::string domain_dir(store::DomId d) const {
        return root + "/dom/" + std::to_string(d);
    }
};

// Reads a small file whole; false if it cannot (missing, unreadable, over `max` bytes).
[[nodiscard]] bool read_small_file(const std::string& path, std::string& out,
                                   std::size_t max = 1 << 20);
// mkdir -p with mode 0700 for what it creates.
[[nodiscard]] bool make_dirs(const std::string& path);

} // namespace pvisor::toolstack
