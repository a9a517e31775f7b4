// backend_sandbox_test.cpp: the seccomp filter of the backends (backend_sandbox.hpp on
// hypervisor/core/sandbox.hpp). Each case runs in a forked child, which enters the sandbox
// and reports through its exit status and stderr: a refused call fails with EPERM, is
// counted and logged, and the process goes on; what the backends need still works; only the
// capabilities of the backend's kind remain.
#include "backend_sandbox.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <gtest/gtest.h>
#include <liburing.h>
#include <string>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <utility>
#include <unistd.h>

namespace pvisor::backend {
namespace {

struct ChildResult {
    int status = -1; // exit status, or 128 + signal
    std::string err; // what it wrote to stderr
};

// Runs `body` in a child whose stderr is captured; the child exits with body's value.
ChildResult in_child(const std::function<int()>& body) {
    int pipefd[2];
    if (::pipe(pipefd) != 0)
        return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipefd[1], STDERR_FILENO);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        std::fflush(nullptr);
        ::_exit(body());
    }
    ::close(pipefd[1]);
    ChildResult r;
    char buf[512];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0)
        r.err.append(buf, static_cast<std::size_t>(n));
    ::close(pipefd[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

// Child exit codes: 0 all as expected, else the number of the first check that failed.
int enter() { return enter_sandbox(backend_syscalls(), "test-backend").ok() ? 0 : 100; }

TEST(BackendSandbox, ForbiddenCallsFailWithEpermAreCountedAndLogged) {
    const ChildResult r = in_child([] {
        if (const int e = enter(); e != 0)
            return e;
        char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
        if (::execve("/bin/true", argv, environ) != -1 || errno != EPERM)
            return 1;
        if (::syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0) != -1 || errno != EPERM)
            return 2;
        if (::socket(AF_PACKET, SOCK_RAW, 0) != -1 || errno != EPERM)
            return 3;
        if (::syscall(SYS_fork) != -1 || errno != EPERM) // a process, not a thread
            return 4;
        if (::syscall(SYS_unshare, 0) != -1 || errno != EPERM)
            return 5;
        return sandbox_denied() == 5 ? 0 : 6;
    });
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "test-backend: system call 59 (execve) refused by the sandbox\n"
                     "test-backend: system call 101 (ptrace) refused by the sandbox\n"
                     "test-backend: system call 41 (socket) refused by the sandbox\n"
                     "test-backend: system call 57 (fork) refused by the sandbox\n"
                     "test-backend: system call 272 (unshare) refused by the sandbox\n");
}

// What a backend does while it serves: threads, file I/O, io_uring, the store's AF_UNIX
// sockets, a metrics file written and renamed: all of it works, nothing is refused.
TEST(BackendSandbox, WhatBackendsNeedStillWorks) {
    char dir[] = "/tmp/pvisor-sandbox-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string file = std::string(dir) + "/disk";
    const ChildResult r = in_child([&file] {
        if (const int e = enter(); e != 0)
            return e;
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return 1;
        const std::array<char, 4096> out{'p', 'v'};
        if (::pwrite(fd, out.data(), out.size(), 8192) != 4096)
            return 2;
        io_uring ring{};
        if (io_uring_queue_init(8, &ring, 0) != 0)
            return 3;
        std::array<char, 4096> in{};
        io_uring_prep_read(io_uring_get_sqe(&ring), fd, in.data(), in.size(), 8192);
        io_uring_cqe* cqe = nullptr;
        if (io_uring_submit_and_wait(&ring, 1) != 1 || io_uring_wait_cqe(&ring, &cqe) != 0 ||
            cqe->res != 4096 || in != out)
            return 4;
        io_uring_cqe_seen(&ring, cqe);
        io_uring_queue_exit(&ring);
        bool thread_ran = false;
        std::thread([&] { thread_ran = true; }).join();
        if (!thread_ran)
            return 5;
        int sv[2];
        const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0 || ::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != -1) // socketpair: not listed
            return 6;
        ::close(s);
        const std::string tmp = file + ".tmp";
        const int m = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m < 0 || ::write(m, "x 1\n", 4) != 4 || ::close(m) != 0 ||
            ::rename(tmp.c_str(), (file + ".metrics").c_str()) != 0)
            return 7;
        ::close(fd);
        return sandbox_denied() == 1 ? 0 : 8; // the socketpair only
    });
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "test-backend: system call 53 (socketpair) refused by the sandbox\n");
    std::remove(file.c_str());
    std::remove((file + ".metrics").c_str());
    ::rmdir(dir);
}

// A block backend keeps no capability, a network backend CAP_NET_ADMIN only; what needed
// another (changing a file's owner) is refused, a file of its own owner still opens.
TEST(BackendSandbox, BackendsKeepOnlyTheCapabilitiesTheirKindNeeds) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root (capabilities to drop)";
    char dir[] = "/tmp/pvisor-caps-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string file = std::string(dir) + "/img";
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ::close(fd);
    for (const auto& [type, want] : {std::pair{"vbd", 0ULL}, std::pair{"vif", 1ULL << 12}}) {
        const ChildResult r = in_child([&file, type = type, want = want] {
            if (!keep_only_capabilities(backend_capabilities(type)).ok())
                return 1;
            const auto eff = effective_capabilities();
            if (!eff.ok() || *eff != want)
                return 2;
            if (::chown(file.c_str(), 1234, 1234) != -1 || errno != EPERM)
                return 3;
            const int f = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
            if (f < 0)
                return 4;
            ::close(f);
            return 0;
        });
        EXPECT_EQ(r.status, 0) << type << ": " << r.err;
    }
    std::remove(file.c_str());
    ::rmdir(dir);
}

TEST(BackendSandbox, MalformedRulesAreRefusedBeforeAnythingIsInstalled) {
    const ChildResult r = in_child([] {
        const SyscallRule bad_arg[] = {{.nr = SYS_socket, .arg = 6, .values = {1}, .nvalues = 1}};
        const SyscallRule no_values[] = {{.nr = SYS_socket, .arg = 0}};
        if (enter_sandbox(bad_arg, "t").error() != Errc::invalid_argument ||
            enter_sandbox(no_values, "t").error() != Errc::invalid_argument)
            return 1;
        // Nothing was installed: an unlisted call still works.
        return ::getppid() > 0 ? 0 : 2;
    });
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

} // namespace
} // namespace pvisor::backend
