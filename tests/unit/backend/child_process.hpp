// child_process.hpp: a backend executable run by a test (fork/exec, stderr appended to a file),
// killed and reaped by the end of the test at the latest.
#pragma once

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace pvisor::backend::testing {

class ChildProcess {
  public:
    // Starts exe with `args` (after argv[0]), its stderr appended to `err_path`.
    ChildProcess(const char* exe, std::vector<std::string> args, const std::string& err_path) {
        args.insert(args.begin(), exe);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        m_pid = ::fork();
        if (m_pid == 0) { // only async-signal-safe calls until exec
            ::dup2(err, 2);
            ::execv(exe, argv.data());
            ::_exit(127);
        }
        ::close(err);
    }
    ~ChildProcess() { (void)stop(SIGKILL); }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    [[nodiscard]] pid_t pid() const { return m_pid; }
    // Sends `sig` (0: none, waits for the process to end by itself), reaps; the exit status
    // (-1: ended by a signal, or not started).
    int stop(int sig = SIGTERM) {
        if (m_pid <= 0)
            return -1;
        if (sig != 0)
            ::kill(m_pid, sig);
        int st = 0;
        ::waitpid(m_pid, &st, 0);
        m_pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }

  private:
    pid_t m_pid = -1;
};

// A whole file ("" if it cannot be read).
inline std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace pvisor::backend::testing
