// process.hpp: processes the toolstack starts and watches (VMMs, backends), through pidfds,
// so that a restarted toolstack can watch the ones it did not start itself.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pvisor::toolstack {

struct Process {
    pid_t pid = 0;
    std::uint64_t start_time = 0; // /proc/<pid>/stat field 22: tells a reused pid apart
    UniqueFd pidfd;               // readable once the process ended
};

// Starts argv[0] (a path) detached from us: its own session, stdin /dev/null, stdout and
// stderr appended to `log_path`, default signal dispositions, no fd of ours but 0-2. It
// outlives the toolstack (kill -9 of the service does not touch it). `why` on failure.
[[nodiscard]] Result<Process> spawn_detached(const std::vector<std::string>& argv,
                                             const std::string& log_path, std::string& why);
// Watches a process the toolstack did not start (or started before a restart): fails if
// `pid` is gone or is now another process than the one that started at `start_time`.
[[nodiscard]] Result<Process> adopt_process(pid_t pid, std::uint64_t start_time);
[[nodiscard]] std::optional<std::uint64_t> process_start_time(pid_t pid);
// Sends `sig` through the pidfd (never to a reused pid). False if it is gone.
bool signal_process(const Process& p, int sig);
// After the pidfd became readable: the wait status if the process was our child (it is
// reaped then), nullopt if it was not.
[[nodiscard]] std::optional<int> reap_child(const Process& p);
// Resident set of a process in KiB (VmRSS), 0 if unknown.
[[nodiscard]] std::uint64_t process_rss_kb(pid_t pid);
// This executable's path (/proc/self/exe), for starting VMMs and finding backends beside it.
[[nodiscard]] std::string self_exe();

} // namespace pvisor::toolstack
