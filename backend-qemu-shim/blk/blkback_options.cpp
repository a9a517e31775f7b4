// blkback_options.cpp: strict parsing of pvisor-blkback's command line.
#include "blkback_options.hpp"

#include "disk_option.hpp"

namespace pvisor::backend {

namespace {

Errc fail(std::string* why, std::string msg) {
    if (why != nullptr)
        *why = std::move(msg);
    return Errc::invalid_argument;
}

} // namespace

Result<BlkbackOptions> parse_blkback_options(std::span<const std::string_view> args,
                                             std::string* why) {
    BlkbackOptions opts;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a != "--control" && a != "--disk")
            return fail(why, "unknown argument '" + std::string(a) + "'");
        if (i + 1 == args.size() || args[i + 1].empty())
            return fail(why, std::string(a) + " needs a value");
        const std::string_view v = args[++i];
        if (a == "--control") {
            if (!opts.control.empty())
                return fail(why, "--control given twice");
            opts.control = std::string(v);
            continue;
        }
        if (opts.disks.size() == BlkbackOptions::kMaxDisks)
            return fail(why, "too many --disk (at most " +
                                 std::to_string(BlkbackOptions::kMaxDisks) + ")");
        PV_TRY_ASSIGN(disk, parse_disk_option(v, why));
        for (const BlkDiskConfig& d : opts.disks) {
            if (d.path == disk.path)
                return fail(why, "--disk " + disk.path + " given twice");
        }
        opts.disks.push_back(std::move(disk));
    }
    if (opts.control.empty())
        return fail(why, "--control PATH is required");
    if (opts.disks.empty())
        return fail(why, "at least one --disk is required");
    return opts;
}

} // namespace pvisor::backend
