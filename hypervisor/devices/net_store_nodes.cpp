// net_store_nodes.cpp: the xl-style vif directories of one interface, written as dom0.
#include "net_store_nodes.hpp"

#include "netback_options.hpp"
#include "store_path.hpp"

#include <pv/xen.h>

namespace pvisor {

backend::MacAddress vif_guest_mac(store::DomId guest, unsigned index,
                                  const backend::NetConfig& net) {
    return net.mac.value_or(backend::default_guest_mac(static_cast<std::uint16_t>(guest),
                                                       static_cast<std::uint8_t>(index)));
}

VifKeys vif_front_extra_keys(store::DomId guest, unsigned index, const backend::NetConfig& net) {
    return {{"handle", std::to_string(index)},
            {"mac", backend::format_mac(vif_guest_mac(guest, index, net))}};
}

VifKeys vif_back_extra_keys(store::DomId guest, unsigned index, const backend::NetConfig& net) {
    VifKeys keys = vif_front_extra_keys(guest, index, net);
    keys.emplace_back("vifname", net.tap);
    if (!net.bridge.empty())
        keys.emplace_back("bridge", net.bridge);
    return keys;
}

store::XsStatus add_vif_store_nodes(store::Store& s, store::DomId guest, unsigned index,
                                    const backend::NetConfig& net) {
    if (index >= backend::NetbackOptions::kMaxVifs)
        return store::XsErr::einval;
    XS_TRY(s.add_device(guest, "vif", index, PV_DOMID_HOST));
    const std::string front =
        store::domain_path(guest) + "/device/vif/" + std::to_string(index) + "/";
    const std::string back = store::domain_path(PV_DOMID_HOST) + "/backend/vif/" +
                             std::to_string(guest) + "/" + std::to_string(index) + "/";
    // New nodes inherit their directory's permissions (Store::add_device set them).
    const store::ConnId c = s.connect(PV_DOMID_HOST);
    store::XsStatus st;
    for (const auto& [key, value] : vif_front_extra_keys(guest, index, net))
        st = st.ok() ? s.write(c, 0, front + key, value) : st;
    for (const auto& [key, value] : vif_back_extra_keys(guest, index, net))
        st = st.ok() ? s.write(c, 0, back + key, value) : st;
    s.disconnect(c);
    return st;
}

} // namespace pvisor
