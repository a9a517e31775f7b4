// blk_backend_process.hpp: the pvisor-blkback child of `pvisor run`: started, watched, stopped.
#pragma once

#include "result.hpp"
#include "unique_fd.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace pvisor {

// One backend process per `pvisor run`. It runs in its own process group with default
// signal dispositions and stdin on /dev/null (the guest console keeps the terminal). A
// watcher thread reports on stderr if it ends while the guest runs; the destructor stops it
// (SIGTERM, then SIGKILL after kStopGrace) and reaps it. Signals go through a pidfd, so a
// reaped pid is never signalled.
class BlkBackendProcess {
  public:
    static constexpr int kStopGraceMs = 2000;

    // Where pvisor-blkback is: `given` (--blkback) if not empty; else next to this
    // executable (/proc/self/exe) if there is one; else the bare name, for $PATH.
    [[nodiscard]] static std::string locate(const std::string& given);
    // Starts `exe` with `args` (after argv[0]) and logs the command line.
    [[nodiscard]] static Result<std::unique_ptr<BlkBackendProcess>>
    spawn(const std::string& exe, const std::vector<std::string>& args, std::string& why);
    ~BlkBackendProcess();
    BlkBackendProcess(const BlkBackendProcess&) = delete;
    BlkBackendProcess& operator=(const BlkBackendProcess&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
    // True once the process ended on its own (reported by the watcher).
    [[nodiscard]] bool exited() const noexcept { return m_reaped.load(); }

  private:
    BlkBackendProcess(pid_t pid, UniqueFd pidfd, UniqueFd stop);
    void watch();
    // Reaps the process; its status as text ("exit status N", "killed by SIGKILL").
    [[nodiscard]] std::string reap();

    pid_t m_pid;
    UniqueFd m_pidfd;
    UniqueFd m_stop; // eventfd: the destructor ends the watcher
    std::atomic<bool> m_reaped{false};
    std::thread m_watcher; // last: started after everything it reads is set
};

// Builds pvisor-blkback's arguments for pvisor run's disks, in --disk order.
[[nodiscard]] std::vector<std::string> blkback_args(const std::string& control_socket,
                                                    const std::vector<std::string>& disk_specs);

} // namespace pvisor
