// exit_report.hpp: exit_bench's summary table (exitless vs exit ratios), the smoke check on
// the exit counts, and its own command-line flag.
#pragma once

#include "exit_tally.hpp"
#include "kvm_caps.hpp"

namespace pvisor::bench {

// Removes `flag` from argv (before benchmark::Initialize sees it); true if it was there.
bool strip_flag(int& argc, char** argv, const char* flag);
void print_summary(const Rows& rows);
// 0 if every notification through the ioeventfd stayed in the kernel (0 notify exits, all
// read from the eventfd) and the exit paths exited once per operation; 1 otherwise.
int check_exitless(const Rows& rows, const KvmCaps& caps);

} // namespace pvisor::bench
