// blk_store_nodes.cpp: the xl-style vbd directories of one disk, written as the control domain.
#include "blk_store_nodes.hpp"

#include "store_path.hpp"
#include "vbd_numbering.hpp"

#include <pv/xen.h>

namespace pvisor {

StoreKeys blk_front_extra_keys(unsigned index) {
    return {{"virtual-device", std::to_string(blk_devid(index))}, {"device-type", "disk"}};
}

StoreKeys blk_back_extra_keys(unsigned index, const DiskSpec& disk) {
    return {{"dev", blk_vdev_name(index)},
            {"params", disk.path},
            {"mode", disk.read_only ? "r" : "w"},
            {"queues", std::to_string(disk.queues)},
            {"direct-io", disk.direct ? "1" : "0"}};
}

store::XsStatus write_device_keys(store::Store& s, const std::string& front,
                                  const StoreKeys& front_keys, const std::string& back,
                                  const StoreKeys& back_keys) {
    // New nodes inherit their directory's permissions (Store::add_device set them).
    const store::ConnId c = s.connect(PV_DOMID_HOST);
    store::XsStatus st;
    for (const auto& [key, value] : front_keys)
        st = st.ok() ? s.write(c, 0, front + key, value) : st;
    for (const auto& [key, value] : back_keys)
        st = st.ok() ? s.write(c, 0, back + key, value) : st;
    s.disconnect(c);
    return st;
}

store::XsStatus add_blk_store_nodes(store::Store& s, store::DomId guest, unsigned index,
                                    const DiskSpec& disk) {
    if (index >= kBlkMaxDisks)
        return store::XsErr::einval;
    const unsigned devid = blk_devid(index);
    XS_TRY(s.add_device(guest, "vbd", devid, PV_DOMID_HOST));
    const std::string id = std::to_string(devid);
    return write_device_keys(s, store::domain_path(guest) + "/device/vbd/" + id + "/",
                             blk_front_extra_keys(index),
                             store::domain_path(PV_DOMID_HOST) + "/backend/vbd/" +
                                 std::to_string(guest) + "/" + id + "/",
                             blk_back_extra_keys(index, disk));
}

} // namespace pvisor
