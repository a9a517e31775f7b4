// net_store_nodes.cpp: the xl-style vif directories of one interface, written as dom0.
#include "net_store_nodes.hpp"

#include "store_path.hpp"

#include <pv/xen.h>

namespace pvisor {

MacAddress vif_guest_mac(store::DomId guest, unsigned index, const NetSpec& net) {
    return net.mac.value_or(
        default_guest_mac(static_cast<std::uint16_t>(guest), static_cast<std::uint8_t>(index)));
}

StoreKeys vif_front_extra_keys(store::DomId guest, unsigned index, const NetSpec& net) {
    return {{"handle", std::to_string(index)},
            {"mac", format_mac(vif_guest_mac(guest, index, net))}};
}

StoreKeys vif_back_extra_keys(store::DomId guest, unsigned index, const NetSpec& net) {
    StoreKeys keys = vif_front_extra_keys(guest, index, net);
    keys.emplace_back("vifname", net.tap);
    keys.emplace_back("queues", std::to_string(net.queues));
    if (!net.bridge.empty())
        keys.emplace_back("bridge", net.bridge);
    return keys;
}

store::XsStatus add_vif_store_nodes(store::Store& s, store::DomId guest, unsigned index,
                                    const NetSpec& net) {
    if (index >= kMaxVifs)
        return store::XsErr::einval;
    XS_TRY(s.add_device(guest, "vif", index, PV_DOMID_HOST));
    const std::string id = std::to_string(index);
    return write_device_keys(s, store::domain_path(guest) + "/device/vif/" + id + "/",
                             vif_front_extra_keys(guest, index, net),
                             store::domain_path(PV_DOMID_HOST) + "/backend/vif/" +
                                 std::to_string(guest) + "/" + id + "/",
                             vif_back_extra_keys(guest, index, net));
}

} // namespace pvisor
