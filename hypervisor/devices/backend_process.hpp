// backend_process.hpp: a backend child of `pvisor run` (pvisor-blkback, pvisor-netback):
// started, watched, stopped.
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

// Which backend: its executable's name and, for the message when it dies, what it serves.
struct BackendKind {
    const char* name;
    const char* serves;
};
inline constexpr BackendKind kBlkBackend{"pvisor-blkback", "PV disks"};
inline constexpr BackendKind kNetBackend{"pvisor-netback", "network interfaces"};

// One process per backend kind per guest. It runs in its own process group with
// default signal dispositions and stdin on /dev/null (the guest console keeps the terminal).
// A watcher thread reports on stderr if it ends while the guest runs; the destructor stops
// it (SIGTERM, then SIGKILL after kStopGrace) and reaps it. Signals go through a pidfd, so a
// reaped pid is never signalled.
class BackendProcess {
  public:
    static constexpr int kStopGraceMs = 2000;

    // Where the executable is: `given` (--blkback/--netback) if not empty; else next to
    // this executable (/proc/self/exe) if there is one; else the bare name, for $PATH.
    [[nodiscard]] static std::string locate(const BackendKind& kind, const std::string& given);
    // Starts `exe` with `args` (after argv[0]) and logs the command line.
    [[nodiscard]] static Result<std::unique_ptr<BackendProcess>>
    spawn(const BackendKind& kind, const std::string& exe, const std::vector<std::string>& args,
          std::string& why);
    ~BackendProcess();
    BackendProcess(const BackendProcess&) = delete;
    BackendProcess& operator=(const BackendProcess&) = delete;

    [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
    // True once the process ended on its own (reported by the watcher).
    [[nodiscard]] bool exited() const noexcept { return m_reaped.load(); }

  private:
    BackendProcess(const BackendKind& kind, pid_t pid, UniqueFd pidfd, UniqueFd stop);
    void watch();
    // Reaps the process; its status as text ("exit status N", "killed by SIGKILL").
    [[nodiscard]] std::string reap();

    BackendKind m_kind;
    pid_t m_pid;
    UniqueFd m_pidfd;
    UniqueFd m_stop; // eventfd: the destructor ends the watcher
    std::atomic<bool> m_reaped{false};
    std::thread m_watcher; // last: started after everything it reads is set
};

// A backend's arguments: --store STORE_SOCKET --domid DOMID --control CONTROL_SOCKET. The
// backend serves every device of its kind that the store holds for that domain (backend/vbd/
// <domid>/*, backend/vif/<domid>/*), and those added later.
[[nodiscard]] std::vector<std::string> backend_args(const std::string& store_socket,
                                                    unsigned domid,
                                                    const std::string& control_socket);

} // namespace pvisor
