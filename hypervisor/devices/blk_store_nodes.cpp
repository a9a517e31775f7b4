// blk_store_nodes.cpp: the xl-style vbd directories of one disk, written as the control domain.
#include "blk_store_nodes.hpp"

#include "blk_vdev.hpp"
#include "store_path.hpp"

#include <pv/xen.h>

namespace pvisor {

StoreKeys blk_front_extra_keys(unsigned index) {
    return {{"virtual-device", std::to_string(backend::blk_devid(index))}, {"device-type", "disk"}};
}

StoreKeys blk_back_extra_keys(unsigned index, const backend::BlkDiskConfig& disk) {
    return {{"dev", backend::blk_vdev_name(index)},
            {"params", disk.path},
            {"mode", disk.read_only ? "r" : "w"}};
}

store::XsStatus add_blk_store_nodes(store::Store& s, store::DomId guest, unsigned index,
                                    const backend::BlkDiskConfig& disk) {
    if (index >= backend::kBlkMaxDisks)
        return store::XsErr::einval;
    const unsigned devid = backend::blk_devid(index);
    XS_TRY(s.add_device(guest, "vbd", devid, PV_DOMID_HOST));
    const std::string front =
        store::domain_path(guest) + "/device/vbd/" + std::to_string(devid) + "/";
    const std::string back =
        store::domain_path(PV_DOMID_HOST) + "/" + backend::blk_backend_dir(guest, devid) + "/";
    // New nodes inherit their directory's permissions (Store::add_device set them).
    const store::ConnId c = s.connect(PV_DOMID_HOST);
    store::XsStatus st;
    for (const auto& [key, value] : blk_front_extra_keys(index))
        st = st.ok() ? s.write(c, 0, front + key, value) : st;
    for (const auto& [key, value] : blk_back_extra_keys(index, disk))
        st = st.ok() ? s.write(c, 0, back + key, value) : st;
    s.disconnect(c);
    return st;
}

} // namespace pvisor
