// daemon_hotplug.cpp: block-attach/-detach/-list and network-attach/-detach/-list on a running
// domain, through the store as xl does: the backend and the guest's pvbus see the nodes come
// and go and connect or close the device.
#include "daemon.hpp"

#include "store_path.hpp"
#include "xen_vdev.hpp"

#include <chrono>

namespace pvisor::toolstack {
namespace {

constexpr int kDetachWaitS = 10;

std::string back_dir(store::DomId domid, const std::string& type, unsigned devid) {
    return "/local/domain/0/backend/" + type + "/" + std::to_string(domid) + "/" +
           std::to_string(devid);
}

// One device object (`list`: "disks" or "vifs"), validated as the only one of its list in
// `spec`: the same rules as at create. `what` names it in the message ("disk: vdev: ...").
std::optional<DomainSpec> with_device(const DomainSpec& spec, const char* list, const Json& dev,
                                      const char* what, Json& error) {
    Json probe = spec_to_json(spec);
    probe[list] = Json::array({dev});
    std::string why;
    auto parsed = spec_from_json(probe, why);
    if (!parsed.ok()) {
        error = api_fail(ApiError::invalid_argument,
                         std::string(what) + ": " + why.substr(why.find("]: ") + 3));
        return std::nullopt;
    }
    return std::move(*parsed);
}

} // namespace

Json Daemon::op_block_attach(const Json& req) {
    const Json* disk = json_object(req, "disk");
    if (disk == nullptr)
        return api_fail(ApiError::bad_request, "\"disk\" must be an object {target, vdev, read_only}");
    std::unique_lock lock(m_mu);
    Json err;
    Domain* d = running(req, "block-attach", err);
    if (d == nullptr)
        return err;
    const auto parsed = with_device(d->spec, "disks", *disk, "disk", err);
    if (!parsed)
        return err;
    const DomainDisk spec = parsed->disks.front();
    for (const DomainDisk& have : d->spec.disks)
        if (have.devid == spec.devid)
            return api_fail(ApiError::exists, d->spec.name + " has " + spec.vdev + " already");
    if (::access(spec.target.c_str(), spec.read_only ? R_OK : R_OK | W_OK) != 0)
        return api_fail(ApiError::invalid_argument, spec.target + ": cannot open it");
    const Status st = write_vbd_nodes(*d, spec);
    if (!st.ok())
        return api_fail(st.error() == Errc::exists ? ApiError::exists : ApiError::io_error,
                        "the store refused " + spec.vdev + "'s nodes");
    d->spec.disks.push_back(spec);
    ensure_backend(*d, "vbd");
    persist(*d);
    Json out = api_ok();
    out["devid"] = spec.devid;
    return out;
}

Json Daemon::op_network_attach(const Json& req) {
    const Json* vif = json_object(req, "vif");
    if (vif == nullptr)
        return api_fail(ApiError::bad_request, "\"vif\" must be an object {mac, bridge, vifname}");
    std::unique_lock lock(m_mu);
    Json err;
    Domain* d = running(req, "network-attach", err);
    if (d == nullptr)
        return err;
    const auto parsed = with_device(d->spec, "vifs", *vif, "vif", err);
    if (!parsed)
        return err;
    // The handle: the one asked for, or the lowest the domain does not use (detached vifs
    // leave holes).
    const auto used = [&](unsigned h) { return store_read(back_dir(d->domid, "vif", h)).ok(); };
    unsigned handle = 0;
    if (json_has(*vif, "handle")) {
        handle = parsed->vifs.front().handle;
        if (used(handle))
            return api_fail(ApiError::exists,
                            d->spec.name + " has vif " + std::to_string(handle) + " already");
    } else {
        while (handle < 8 && used(handle))
            ++handle;
    }
    if (handle >= 8)
        return api_fail(ApiError::invalid_argument, d->spec.name + " has 8 vifs already");
    DomainVif spec = parsed->vifs.front();
    spec.handle = handle;
    const Status st = write_vif_nodes(*d, handle, spec);
    if (!st.ok())
        return api_fail(ApiError::io_error, "the store refused vif " + std::to_string(handle));
    d->spec.vifs.push_back(spec);
    ensure_backend(*d, "vif");
    persist(*d);
    Json out = api_ok();
    out["handle"] = handle;
    out["mac"] = spec.mac.empty() ? default_mac(d->domid, handle) : spec.mac;
    return out;
}

// xl's detach: the backend's online = 0 and state = Closing; the backend closes the device
// and says Closed; then both directories go. A backend that does not answer in time has
// the directories removed anyway (the frontend sees its node vanish).
Json Daemon::detach_device(Domain& d, const std::string& type, unsigned devid,
                           std::unique_lock<std::mutex>& lock) {
    const std::string back = back_dir(d.domid, type, devid);
    const std::string front =
        store::domain_path(d.domid) + "/device/" + type + "/" + std::to_string(devid);
    // online and state together (one store lock), as the backend expects them.
    store::XsStatus st;
    m_store->with_store([&](store::Store& s) {
        const store::ConnId c = s.connect(0);
        st = s.read(c, 0, back + "/state").ok() ? store::XsStatus{} : store::XsErr::enoent;
        if (st.ok())
            st = s.write(c, 0, back + "/online", "0");
        if (st.ok())
            st = s.write(c, 0, back + "/state", "5");
        s.disconnect(c);
    });
    if (!st.ok())
        return api_fail(ApiError::no_such_device,
                        d.spec.name + " has no " + type + " " + std::to_string(devid));
    const store::DomId id = d.domid;
    bool closed = false;
    for (int i = 0; i < kDetachWaitS * 20 && !closed; ++i) {
        lock.unlock();
        ::usleep(50000);
        lock.lock();
        if (!m_domains.contains(id))
            return api_ok(); // the domain went meanwhile: nothing left to detach
        const auto state = store_read(back + "/state");
        closed = !state.ok() || *state == "6";
    }
    store_rm(back);
    store_rm(front);
    Json out = api_ok();
    out["clean"] = closed;
    return out;
}

Json Daemon::op_block_detach(const Json& req) {
    const std::string* vdev = json_string(req, "vdev");
    const auto decoded = vdev != nullptr ? decode_xen_vdev(*vdev)
                                         : Result<XenVdev>(Errc::invalid_argument);
    if (!decoded.ok() || decoded->kind != VdevKind::xvd || decoded->partition != 0)
        return api_fail(ApiError::bad_request, "\"vdev\" must name a disk (xvda...)");
    const std::uint32_t devid = decoded->devid;
    std::unique_lock lock(m_mu);
    Json err;
    Domain* d = running(req, "block-detach", err);
    if (d == nullptr)
        return err;
    const store::DomId id = d->domid;
    Json out = detach_device(*d, "vbd", devid, lock);
    if (const auto it = m_domains.find(id); it != m_domains.end() && out["ok"] == true) {
        std::erase_if(it->second->spec.disks, [devid](const DomainDisk& s) { return s.devid == devid; });
        persist(*it->second);
    }
    return out;
}

Json Daemon::op_network_detach(const Json& req) {
    const auto handle = json_int(req, "handle");
    if (!handle || *handle < 0 || *handle >= 8)
        return api_fail(ApiError::bad_request, "\"handle\" must be a vif handle 0..7");
    std::unique_lock lock(m_mu);
    Json err;
    Domain* d = running(req, "network-detach", err);
    if (d == nullptr)
        return err;
    const store::DomId id = d->domid;
    const auto h = static_cast<unsigned>(*handle);
    Json out = detach_device(*d, "vif", h, lock);
    // Gone from the domain's record too: a restart (on_reboot) does not bring it back.
    if (const auto it = m_domains.find(id); it != m_domains.end() && out["ok"] == true) {
        std::erase_if(it->second->spec.vifs, [h](const DomainVif& v) { return v.handle == h; });
        persist(*it->second);
    }
    return out;
}

// The devices as the store has them: xl's block-list / network-list columns.
Json Daemon::op_block_list(const Json& req) {
    std::lock_guard lock(m_mu);
    Json err;
    Domain* d = find(req, err);
    if (d == nullptr)
        return err;
    Json devs = Json::array();
    const std::string dir = "/local/domain/0/backend/vbd/" + std::to_string(d->domid);
    m_store->with_store([&](store::Store& s) {
        const store::ConnId c = s.connect(0);
        const auto ids = s.directory(c, 0, dir);
        for (const std::string& devid : ids.ok() ? *ids : std::vector<std::string>{}) {
            const auto get = [&](const std::string& back, const std::string& key) {
                auto v = s.read(c, 0, back + "/" + key);
                return v.ok() ? *v : std::string();
            };
            const std::string back = dir + "/" + devid;
            const std::string front = store::domain_path(d->domid) + "/device/vbd/" + devid;
            devs.push_back({{"vdev", get(back, "dev")},
                            {"devid", devid},
                            {"target", get(back, "params")},
                            {"mode", get(back, "mode")},
                            {"backend_state", get(back, "state")},
                            {"frontend_state", get(front, "state")}});
        }
        s.disconnect(c);
    });
    Json out = api_ok();
    out["disks"] = devs;
    return out;
}

Json Daemon::op_network_list(const Json& req) {
    std::lock_guard lock(m_mu);
    Json err;
    Domain* d = find(req, err);
    if (d == nullptr)
        return err;
    Json devs = Json::array();
    const std::string dir = "/local/domain/0/backend/vif/" + std::to_string(d->domid);
    m_store->with_store([&](store::Store& s) {
        const store::ConnId c = s.connect(0);
        const auto ids = s.directory(c, 0, dir);
        for (const std::string& h : ids.ok() ? *ids : std::vector<std::string>{}) {
            const auto get = [&](const std::string& key) {
                auto v = s.read(c, 0, dir + "/" + h + "/" + key);
                return v.ok() ? *v : std::string();
            };
            devs.push_back({{"handle", h},
                            {"mac", get("mac")},
                            {"vifname", get("vifname")},
                            {"bridge", get("bridge")},
                            {"backend_state", get("state")}});
        }
        s.disconnect(c);
    });
    Json out = api_ok();
    out["vifs"] = devs;
    return out;
}

} // namespace pvisor::toolstack
