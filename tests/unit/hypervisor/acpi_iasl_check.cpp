// acpi_iasl_check.cpp: pvisor's ACPI tables for 1 and 4 vCPUs checked by ACPICA's own tools
// (Debian acpica-tools): each table written to a file is disassembled by `iasl -d` without an
// error, the disassembly compiles back with `iasl` without an error or a warning (a data
// table to the same bytes but for the fields iasl writes itself: checksum, compiler id and
// revision), and the DSDT's source holds the PCI host bridge with its resources and COM1.
// Exit 77 (skipped) without iasl.
#include "boot/acpi_tables.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

int g_failures = 0;

void check(bool ok, const std::string& what) {
    if (!ok) {
        std::fprintf(stderr, "FAIL: %s\n", what.c_str());
        ++g_failures;
    }
}

bool on_path(const std::string& exe) {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = dirs.substr(start, end - start);
        if (!dir.empty() && ::access((dir + "/" + exe).c_str(), X_OK) == 0)
            return true;
        start = end + 1;
    }
    return false;
}

// Runs a shell command in `dir`; its output (stdout and stderr) and exit status.
struct Ran {
    int status = -1;
    std::string output;
};

Ran run(const fs::path& dir, const std::string& cmd) {
    Ran r;
    const std::string full = "cd '" + dir.string() + "' && " + cmd + " 2>&1";
    FILE* p = ::popen(full.c_str(), "r");
    if (p == nullptr)
        return r;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.output.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

// The file's bytes ("" if it cannot be read).
std::string slurp(const fs::path& p) {
    std::string out;
    FILE* f = std::fopen(p.c_str(), "rb");
    if (f == nullptr)
        return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        out.append(buf, n);
    std::fclose(f);
    return out;
}

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

// Disassembles, checks and recompiles one table.
void check_table(const fs::path& dir, const std::string& sig, const std::vector<char>& bytes,
                 const std::string& ctx) {
    const std::string what = ctx + " " + sig;
    const fs::path dat = dir / (sig + ".dat");
    std::ofstream(dat, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const Ran dis = run(dir, "iasl -d " + sig + ".dat");
    check(dis.status == 0, what + ": iasl -d exited " + std::to_string(dis.status) + ":\n" + dis.output);
    const std::string dsl = slurp(dir / (sig + ".dsl"));
    check(!dsl.empty(), what + ": no disassembly");
    for (const char* bad : {"Error", "Incorrect checksum", "****", "Unknown", "Invalid"})
        check(!has(dis.output, bad) && !has(dsl, bad),
              what + ": disassembly reports \"" + bad + "\":\n" + dis.output);
    // Back through the compiler: no error, no warning.
    const fs::path out = dir / ("re-" + sig);
    const Ran comp = run(dir, "iasl -p " + out.string() + " " + sig + ".dsl");
    check(comp.status == 0 && has(comp.output, " 0 Errors,") && has(comp.output, " 0 Warnings,"),
          what + ": recompiling the disassembly:\n" + comp.output);
    if (sig == "DSDT")
        return; // iasl's AML differs in form (it shortens \_SB_ to _SB_ at the root)
    // A data table comes back byte for byte, but for the checksum (byte 9) and the compiler
    // id and revision (bytes 28-35), which iasl writes as its own.
    std::string again = slurp(out.string() + ".aml");
    std::string mine(bytes.begin(), bytes.end());
    const bool sizes = again.size() == mine.size();
    check(sizes, what + ": recompiled table has " + std::to_string(again.size()) + " bytes, not " +
                     std::to_string(mine.size()));
    if (!sizes)
        return;
    for (std::string* s : {&again, &mine}) {
        (*s)[9] = 0;
        std::fill(s->begin() + 28, s->begin() + 36, '\0');
    }
    check(again == mine, what + ": recompiled table differs from pvisor's");
}

void check_dsdt_source(const std::string& dsl, const std::string& ctx) {
    for (const char* want :
         {"Device (PCI0)", "Name (_HID, EisaId (\"PNP0A03\")", "Name (_BBN, Zero)",
          "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,",
          "0x0CF8,             // Range Minimum", "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,",
          "0x0CF7,             // Range Maximum",
          "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,",
          "0xC0000000,         // Range Minimum", "0xFEBFFFFF,         // Range Maximum",
          "Device (COM1)", "Name (_HID, EisaId (\"PNP0501\")", "0x03F8,             // Range Minimum",
          "IRQNoFlags ()", "{4}"})
        check(has(dsl, want), ctx + " DSDT: no \"" + std::string(want) + "\" (" + ctx +
                                  "/DSDT.dsl)");
}

} // namespace

int main() {
    if (!on_path("iasl")) {
        std::printf("iasl not found (Debian acpica-tools): skipped\n");
        return 77;
    }
    char tmpl[] = "/tmp/pvisor-acpi-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        std::perror("mkdtemp");
        return 1;
    }
    const fs::path root(tmpl);
    for (const unsigned vcpus : {1U, 4U}) {
        const std::string ctx = "vcpus=" + std::to_string(vcpus);
        const fs::path dir = root / ctx;
        fs::create_directories(dir);
        const pvisor::AcpiTables t = pvisor::build_acpi_tables(pvisor::kAcpiGpa, vcpus);
        check(t.tables.size() == 4, ctx + ": four tables");
        for (const pvisor::AcpiTable& x : t.tables) {
            const auto b = t.table(x);
            check_table(dir, x.signature, std::vector<char>(b.begin(), b.end()), ctx);
        }
        check_dsdt_source(slurp(dir / "DSDT.dsl"), ctx);
        const std::string madt = slurp(dir / "APIC.dsl");
        for (unsigned i = 0; i < vcpus; ++i) {
            char id[32];
            std::snprintf(id, sizeof id, "Local Apic ID : %02X", i);
            check(has(madt, id), ctx + ": MADT lacks APIC id " + std::to_string(i));
        }
        check(has(madt, "Local Apic ID : " + std::to_string(vcpus) + "\n") == false &&
                  has(madt, "I/O Apic ID : 0" + std::to_string(vcpus)),
              ctx + ": MADT: one local APIC per vCPU, then the IOAPIC with id " +
                  std::to_string(vcpus));
        const std::string fadt = slurp(dir / "FACP.dsl");
        check(has(fadt, "Hardware Reduced (V5) : 1"), ctx + ": FADT not hardware-reduced\n" + fadt);
    }
    if (g_failures == 0)
        fs::remove_all(root);
    else
        std::fprintf(stderr, "%d failures; files kept in %s\n", g_failures, root.c_str());
    std::printf("%s\n", g_failures == 0 ? "ok" : "FAILED");
    return g_failures == 0 ? 0 : 1;
}
