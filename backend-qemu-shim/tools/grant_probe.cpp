// grant_probe.cpp: pvisor-grant-probe, a test backend for the guest's grants (the host half of
// e2e-grant). It attaches through pvisor's control socket and uses the grants the way a
// backend does: it fills a read-write grant with a pattern (the first half by grant copy, the
// second through a pinned mapping) and checks that a read-only and a revoked grant are refused.
#include "control_client.hpp"
#include "grant_table_view.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using pvisor::backend::GrantTableView;
using pvisor::backend::GrantUse;

constexpr std::size_t kPage = 4096;

const char* const kUsage =
    "usage: pvisor-grant-probe --control SOCKET --rw REF --ro REF --revoked REF [--seed N]\n"
    "Fills grant REF (read-write) with pattern(seed): byte i = (seed + 7 i) & 0xff, bytes\n"
    "0-2047 by grant copy and 2048-4095 through a pinned grant; a write to the read-only and\n"
    "the revoked grant must be refused. Prints one result line; exit 0 when all hold.\n";

struct Options {
    std::string control;
    long rw = -1, ro = -1, revoked = -1, seed = 165;
};

bool parse(int argc, char** argv, Options& o) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        char* end = nullptr;
        const long v = std::strtol(argv[i + 1], &end, 10);
        const bool number = end != argv[i + 1] && *end == '\0' && v >= 0 && v <= 0xFFFFFFFF;
        if (a == "--control")
            o.control = argv[i + 1];
        else if (number && a == "--rw")
            o.rw = v;
        else if (number && a == "--ro")
            o.ro = v;
        else if (number && a == "--revoked")
            o.revoked = v;
        else if (number && a == "--seed")
            o.seed = v;
        else
            return false;
    }
    return argc % 2 == 1 && !o.control.empty() && o.rw >= 0 && o.ro >= 0 && o.revoked >= 0;
}

std::vector<std::byte> pattern(long seed) {
    std::vector<std::byte> p(kPage);
    for (std::size_t i = 0; i < kPage; ++i)
        p[i] = static_cast<std::byte>((static_cast<std::size_t>(seed) + 7 * i) & 0xFF);
    return p;
}

// The rw grant: half by copy, half through a pin; "ok" or what failed.
std::string fill(GrantTableView& view, pv_grant_ref ref, const std::vector<std::byte>& p) {
    const std::size_t half = kPage / 2;
    if (!view.copy_to_guest(ref, 0, std::span(p).first(half)).ok())
        return "copy-refused";
    auto pin = view.pin(ref, GrantUse::write);
    if (!pin.ok())
        return "pin-refused";
    std::memcpy(pin->page().data() + half, p.data() + half, half);
    return "ok";
}

// A write the guest did not allow must be refused, by copy and by pin alike.
std::string refused(GrantTableView& view, pv_grant_ref ref, const std::vector<std::byte>& p) {
    const bool copy = view.copy_to_guest(ref, 0, std::span(p).first(16)).ok();
    const bool pin = view.pin(ref, GrantUse::write).ok();
    return copy || pin ? "ACCEPTED" : "refused";
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (!parse(argc, argv, o)) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    auto client = pvisor::backend::ControlClient::connect(o.control);
    if (!client.ok()) {
        std::fprintf(stderr, "pvisor-grant-probe: %s: cannot connect\n", o.control.c_str());
        return 1;
    }
    auto att = client->attach("");
    auto frames = att.ok() ? client->grant_frames() : pvisor::Result<std::vector<std::uint64_t>>(att.error());
    if (!frames.ok()) {
        std::fprintf(stderr, "pvisor-grant-probe: attach: %s\n",
                     std::string(pvisor::errc_name(frames.error())).c_str());
        return 1;
    }
    auto view = GrantTableView::create(att->memory, std::move(*frames));
    if (!view.ok()) {
        std::fprintf(stderr, "pvisor-grant-probe: grant table unusable\n");
        return 1;
    }
    const auto p = pattern(o.seed);
    const std::string rw = fill(*view, static_cast<pv_grant_ref>(o.rw), p);
    const std::string ro = refused(*view, static_cast<pv_grant_ref>(o.ro), p);
    const std::string rv = refused(*view, static_cast<pv_grant_ref>(o.revoked), p);
    std::printf("probe rw=%s ro=%s revoked=%s refusals=%llu\n", rw.c_str(), ro.c_str(), rv.c_str(),
                static_cast<unsigned long long>(view->refused_total()));
    return rw == "ok" && ro == "refused" && rv == "refused" ? 0 : 1;
}
