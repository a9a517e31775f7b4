// store_serve.hpp: `pvisor store serve`: a standalone store on a unix socket until signalled.
#pragma once

namespace pvisor::store {

// Entry point of `pvisor store serve --socket PATH [--domains N]`: argv[0] is "serve".
// Runs a StoreService with a unix socket and no guest ring, with domains 1..N introduced
// (Store::introduce_domain, name "domain-<id>"), until SIGTERM or SIGINT. Prints
// "store: serving PATH" on stdout once the socket listens. Returns 0 after a signal, 1 if
// the store cannot start, 2 on a usage error.
int store_serve_main(int argc, char** argv);

} // namespace pvisor::store
