// asan_options.cpp: the ASan settings of the fuzz targets that build and drop a whole
// service per input (net_tx_fuzz: a net backend queue; xs_fuzz: a store and its ring).
//
// ASan keeps freed memory poisoned in a quarantine (256 MiB by default) so that a use after
// free is caught. Such a target allocates and frees 100-200 KB per input, so with the default
// every input's allocations were fresh pages: page faults and munmaps were half to two thirds
// of its time (docs/testing.md, "Fuzzing"). 16 MiB still holds the frees of the last hundred
// inputs, far more than the lifetime of one input's service, within which a use after free of
// these targets would happen.
extern "C" const char* __asan_default_options() {
    return "quarantine_size_mb=16";
}
