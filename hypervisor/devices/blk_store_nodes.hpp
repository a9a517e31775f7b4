// blk_store_nodes.hpp: the store nodes pvisor writes for each --disk before the guest boots.
#pragma once

#include "disk_spec.hpp"
#include "store.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pvisor {

// Disk `index` (the --disk position: 0 = xvda, virtual-device 51712) of guest `guest`, as
// xl lays it out (docs/abi.md "PV disks"):
//   /local/domain/<guest>/device/vbd/<devid>/      owned by the guest, dom0 may read
//     backend, backend-id = 0, state = 1, virtual-device = <devid>, device-type = disk
//   /local/domain/0/backend/vbd/<guest>/<devid>/   owned by dom0, the guest may read
//     frontend, frontend-id, online = 1, state = 1, dev = xvdX, params = <path>, mode = r|w,
//     and pvisor's tuning keys queues = <N>, direct-io = 0|1
// pvisor-blkback finds the directory (its watch on backend/vbd/<guest>), reads params, mode,
// queues and direct-io, adds the geometry and feature keys and drives both states from there.
// All of it is written under one store lock, so the backend sees the device whole.
// EEXIST if the disk's directories exist already, EINVAL for an index beyond 15.
[[nodiscard]] store::XsStatus add_blk_store_nodes(store::Store& s, store::DomId guest,
                                                  unsigned index, const DiskSpec& disk);

// The extra key/value pairs of the frontend and of the backend directory (besides those
// Store::add_device writes), relative to each directory.
using StoreKeys = std::vector<std::pair<std::string, std::string>>;
[[nodiscard]] StoreKeys blk_front_extra_keys(unsigned index);
[[nodiscard]] StoreKeys blk_back_extra_keys(unsigned index, const DiskSpec& disk);

// Writes `keys` under `front` and `back` (directory paths ending in '/') as the control
// domain; the first refusal is returned.
[[nodiscard]] store::XsStatus write_device_keys(store::Store& s, const std::string& front,
                                                const StoreKeys& front_keys,
                                                const std::string& back,
                                                const StoreKeys& back_keys);

} // namespace pvisor
