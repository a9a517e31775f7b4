// ts_probe.cpp: the toolstack benchmark's measuring hand inside the test machine, where only a
// busybox shell exists: launch-to-line times, command latencies and per-process memory.
//
//   pvisor-ts-probe boot [--timeout S] [--out FILE] PATTERN GLOB -- CMD [ARG...]
//       starts CMD (stdout/stderr to FILE, or both to the probe's stderr) and prints the seconds until a file
//       matching GLOB that did not exist before the start holds a line containing PATTERN
//       (with --out, GLOB may be that FILE). CMD may exit (a CLI) or keep running (a VMM,
//       left running; its pid is printed). Prints: "seconds=S pid=P".
//   pvisor-ts-probe latency [--runs N] -- CMD [ARG...]
//       runs CMD N times, stdout to /dev/null; prints "min_ms=.. median_ms=.. max_ms=..".
//       A run that fails ends the probe with its status.
//   pvisor-ts-probe mem --ram-kib K PID...
//       each process's proportional set size (PSS, /proc/PID/smaps), without the mappings of
//       K KiB or more (guest RAM: the VMM's and the backends' view of it); prints one line
//       per PID "pid=P pss_kib=.. ram_pss_kib=.." and a total line "total_kib=..".
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <glob.h>
#include <map>
#include <optional>
#include <set>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "pvisor-ts-probe: %s\n"
                 "usage: pvisor-ts-probe boot [--timeout S] [--out FILE] PATTERN GLOB -- CMD...\n"
                 "       pvisor-ts-probe latency [--runs N] -- CMD...\n"
                 "       pvisor-ts-probe mem --ram-kib K PID...\n",
                 why);
    std::exit(2);
}

std::optional<long> number(const char* text) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0)
        return std::nullopt;
    return v;
}

std::set<std::string> matches(const std::string& pattern) {
    std::set<std::string> out;
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i)
            out.insert(g.gl_pathv[i]);
    ::globfree(&g);
    return out;
}

// fork + exec of argv; stdout/stderr to `out` (or both to stderr when empty). -1 on failure.
pid_t spawn(char** argv, const std::string& out) {
    const pid_t pid = ::fork();
    if (pid != 0)
        return pid;
    if (!out.empty()) {
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0)
            ::_exit(126);
    } else if (::dup2(2, 1) < 0) { // the probe's own stdout carries only its figures
        ::_exit(126);
    }
    ::execvp(argv[0], argv);
    std::fprintf(stderr, "pvisor-ts-probe: %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
}

// Reads what `path` gained since `offset` and reports whether a whole line holds `pattern`.
bool grew_with(const std::string& path, std::size_t& offset, std::string& partial,
               const std::string& pattern) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[65536];
    ssize_t got;
    while ((got = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset))) > 0) {
        offset += static_cast<std::size_t>(got);
        partial.append(buf, static_cast<std::size_t>(got));
    }
    ::close(fd);
    bool found = false;
    std::size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
        if (partial.substr(0, nl).find(pattern) != std::string::npos)
            found = true;
        partial.erase(0, nl + 1);
    }
    return found;
}

int boot(int argc, char** argv) {
    double timeout = 600;
    std::string out;
    int i = 0;
    for (; i < argc && std::strncmp(argv[i], "--", 2) == 0 && std::strcmp(argv[i], "--") != 0;
         i += 2) {
        if (i + 1 >= argc)
            usage("an option lacks its value");
        if (std::strcmp(argv[i], "--timeout") == 0) {
            const auto v = number(argv[i + 1]);
            if (!v || *v == 0)
                usage("--timeout takes whole seconds > 0");
            timeout = static_cast<double>(*v);
        } else if (std::strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        } else {
            usage("unknown option to boot");
        }
    }
    if (argc - i < 4 || std::strcmp(argv[i + 2], "--") != 0)
        usage("boot needs PATTERN GLOB -- CMD");
    const std::string pattern = argv[i];
    const std::string where = argv[i + 1];
    char** cmd = argv + i + 3;

    // The output file starts empty before the clock does: no line of an earlier run counts.
    if (!out.empty() && ::truncate(out.c_str(), 0) < 0 && errno != ENOENT) {
        std::fprintf(stderr, "pvisor-ts-probe: %s: %s\n", out.c_str(), std::strerror(errno));
        return 1;
    }
    const auto before = out.empty() ? matches(where) : std::set<std::string>{};
    const auto start = Clock::now();
    const pid_t child = spawn(cmd, out);
    if (child < 0) {
        std::fprintf(stderr, "pvisor-ts-probe: fork: %s\n", std::strerror(errno));
        return 1;
    }
    struct Seen {
        std::size_t offset = 0;
        std::string partial;
    };
    std::map<std::string, Seen> files;
    bool child_running = true;
    while (std::chrono::duration<double>(Clock::now() - start).count() < timeout) {
        if (child_running) {
            int status = 0;
            if (::waitpid(child, &status, WNOHANG) == child) {
                child_running = false;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                    std::fprintf(stderr, "pvisor-ts-probe: %s failed (status %d)\n", cmd[0],
                                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                    return 1;
                }
            }
        }
        for (const auto& path : matches(where)) {
            if (before.count(path))
                continue;
            auto& seen = files[path];
            if (grew_with(path, seen.offset, seen.partial, pattern)) {
                const double s = std::chrono::duration<double>(Clock::now() - start).count();
                std::printf("seconds=%.3f pid=%d\n", s, child_running ? child : 0);
                return 0;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::fprintf(stderr, "pvisor-ts-probe: no line with '%s' in %s within %.0f s\n",
                 pattern.c_str(), where.c_str(), timeout);
    return 1;
}

int latency(int argc, char** argv) {
    long runs = 20;
    int i = 0;
    if (i + 1 < argc && std::strcmp(argv[i], "--runs") == 0) {
        const auto v = number(argv[i + 1]);
        if (!v || *v == 0 || *v > 100000)
            usage("--runs takes 1..100000");
        runs = *v;
        i += 2;
    }
    if (i >= argc || std::strcmp(argv[i], "--") != 0 || i + 1 >= argc)
        usage("latency needs -- CMD");
    char** cmd = argv + i + 1;
    std::vector<double> ms;
    for (long r = 0; r < runs; ++r) {
        const auto start = Clock::now();
        const pid_t child = spawn(cmd, "/dev/null");
        int status = 0;
        if (child < 0 || ::waitpid(child, &status, 0) != child) {
            std::fprintf(stderr, "pvisor-ts-probe: cannot run %s\n", cmd[0]);
            return 1;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "pvisor-ts-probe: %s failed on run %ld\n", cmd[0], r + 1);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("min_ms=%.2f median_ms=%.2f max_ms=%.2f\n", ms.front(), ms[ms.size() / 2],
                ms.back());
    return 0;
}

// One process's PSS in KiB, with and without its mappings of `ram_kib` or more.
struct Pss {
    long total = 0;
    long ram = 0;
};

std::optional<Pss> pss_of(long pid, long ram_kib) {
    const std::string path = "/proc/" + std::to_string(pid) + "/smaps";
    std::FILE* in = std::fopen(path.c_str(), "re");
    if (in == nullptr)
        return std::nullopt;
    Pss pss;
    long size = 0;
    char line[512];
    while (std::fgets(line, sizeof line, in) != nullptr) {
        long kib = 0;
        if (std::sscanf(line, "Size: %ld kB", &kib) == 1) {
            size = kib;
        } else if (std::sscanf(line, "Pss: %ld kB", &kib) == 1) {
            pss.total += kib;
            if (size >= ram_kib)
                pss.ram += kib;
        }
    }
    std::fclose(in);
    return pss;
}

int mem(int argc, char** argv) {
    if (argc < 3 || std::strcmp(argv[0], "--ram-kib") != 0)
        usage("mem needs --ram-kib K PID...");
    const auto ram_kib = number(argv[1]);
    if (!ram_kib || *ram_kib == 0)
        usage("--ram-kib takes a size in KiB > 0");
    long total = 0;
    for (int i = 2; i < argc; ++i) {
        const auto pid = number(argv[i]);
        if (!pid)
            usage("a PID is a number");
        const auto pss = pss_of(*pid, *ram_kib);
        if (!pss) {
            std::fprintf(stderr, "pvisor-ts-probe: no process %ld\n", *pid);
            return 1;
        }
        std::printf("pid=%ld pss_kib=%ld ram_pss_kib=%ld\n", *pid, pss->total - pss->ram,
                    pss->ram);
        total += pss->total - pss->ram;
    }
    std::printf("total_kib=%ld\n", total);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)
        usage("a subcommand is needed: boot, latency or mem");
    ::signal(SIGPIPE, SIG_IGN);
    const std::string sub = argv[1];
    if (sub == "boot")
        return boot(argc - 2, argv + 2);
    if (sub == "latency")
        return latency(argc - 2, argv + 2);
    if (sub == "mem")
        return mem(argc - 2, argv + 2);
    usage("unknown subcommand");
}
