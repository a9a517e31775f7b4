// net_store_nodes.hpp: the store nodes pvisor writes for each --net before the guest boots.
#pragma once

#include "blk_store_nodes.hpp"
#include "net_spec.hpp"
#include "store.hpp"

#include <string>

namespace pvisor {

// Network interface `index` (the --net position, the vif's handle) of guest `guest`, as xl
// lays it out (docs/abi.md "Network device"):
//   /local/domain/<guest>/device/vif/<i>/         owned by the guest, dom0 may read
//     backend, backend-id = 0, state = 1, handle = <i>, mac = <guest MAC>
//   /local/domain/0/backend/vif/<guest>/<i>/      owned by dom0, the guest may read
//     frontend, frontend-id, online = 1, state = 1, handle = <i>, mac = <guest MAC>,
//     vifname = <TAP>, queues = <N>, bridge = <BR> (only with bridge=)
// pvisor-netback finds the directory (its watch on backend/vif/<guest>), reads vifname,
// bridge, mac and queues, adds the feature keys and drives both states from there. The MAC
// is mac= or default_guest_mac(guest, i): the backend always reads it from `mac`.
// EEXIST if the vif's directories exist already, EINVAL for an index beyond kMaxVifs.
[[nodiscard]] store::XsStatus add_vif_store_nodes(store::Store& s, store::DomId guest,
                                                  unsigned index, const NetSpec& net);

// The guest MAC of vif `index` of guest `guest`: mac= if given, else the derived default.
[[nodiscard]] MacAddress vif_guest_mac(store::DomId guest, unsigned index, const NetSpec& net);

// The extra key/value pairs of the frontend and of the backend directory (besides those
// Store::add_device writes), relative to each directory.
[[nodiscard]] StoreKeys vif_front_extra_keys(store::DomId guest, unsigned index,
                                             const NetSpec& net);
[[nodiscard]] StoreKeys vif_back_extra_keys(store::DomId guest, unsigned index, const NetSpec& net);

} // namespace pvisor
