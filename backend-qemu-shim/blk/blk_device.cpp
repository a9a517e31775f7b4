// blk_device.cpp: the blkif specifics of a vbd: keys, frontend rings, the BlkBackend.
#include "blk_device.hpp"

#include "blk_config.hpp"
#include "blk_features.hpp"
#include "device_keys.hpp"

namespace pvisor::backend {

namespace {

std::string errc_text(Errc e) {
    return std::string(errc_name(e));
}

// "name value" lines as "name=value ..." on one line; invalid.<reason> only when nonzero.
std::string one_line(const std::string& lines) {
    std::string out;
    std::size_t pos = 0;
    while (pos < lines.size()) {
        std::size_t end = lines.find('\n', pos);
        end = end == std::string::npos ? lines.size() : end;
        std::string line = lines.substr(pos, end - pos);
        pos = end + 1;
        const std::size_t sp = line.find(' ');
        if (sp == std::string::npos || (line.starts_with("invalid.") && line.ends_with(" 0")))
            continue;
        line[sp] = '=';
        out += (out.empty() ? "" : " ") + line;
    }
    return out;
}

// The disk's name: the toolstack's `dev` (xvda) when it is a plain name, else vbd<dom>.<devid>.
std::string vbd_name(const KeyReader& back, std::uint16_t domid, std::uint32_t devid) {
    if (const auto dev = back("dev"); dev && valid_ifname(*dev))
        return *dev;
    return "vbd" + std::to_string(domid) + "." + std::to_string(devid);
}

Result<std::unique_ptr<DeviceDriver>> open_vbd(const KeyReader& back, const DeviceSite& site,
                                               const DeviceLog& log, std::string& why) {
    PV_TRY_ASSIGN(cfg, read_blk_config(back, why));
    PV_TRY_ASSIGN(dev, BlkDevice::open(cfg, site.name, log, why));
    return std::unique_ptr<DeviceDriver>(std::move(dev));
}

} // namespace

DeviceKind BlkDevice::kind() {
    DeviceKind k;
    k.type = "vbd";
    k.max_failures = kMaxFailedConnects;
    k.name = vbd_name;
    k.open = open_vbd;
    return k;
}

Result<std::unique_ptr<BlkDevice>> BlkDevice::open(const BlkDiskConfig& cfg, std::string name,
                                                   DeviceLog log, std::string& why) {
    auto disk = BlkDisk::open(cfg);
    if (!disk.ok()) {
        why = "params: cannot open '" + cfg.path + "' (" + errc_text(disk.error()) + ")";
        return disk.error();
    }
    return std::unique_ptr<BlkDevice>(
        new BlkDevice(std::move(disk).value(), std::move(name), std::move(log)));
}

BlkDevice::~BlkDevice() {
    disconnect();
}

StoreKeys BlkDevice::backend_keys() {
    return blk_backend_keys(m_probe);
}

std::string BlkDevice::describe() const {
    const BlkDiskConfig& c = m_probe.config();
    return c.path + ", " + std::to_string(m_probe.limits().capacity_sectors) + " sectors" +
           (c.read_only ? ", read-only" : "") + ", " + std::to_string(c.queues) +
           " queue(s) offered";
}

Result<BlkFrontConfig> BlkDevice::read_front(const KeyReader& front, std::string* why) {
    return parse_blk_front_config([&front](const std::string& key) { return front(key); },
                                  m_probe.config().queues, why);
}

// Frontend Initialised: its keys parsed (trust boundary), ports bound, rings pinned, queues
// started on a fresh open of the image.
Status BlkDevice::connect(const KeyReader& front, GrantTableView& grants, PortBinder& ports,
                          std::string& why) {
    std::string reason;
    auto cfg = read_front(front, &reason);
    if (!cfg.ok()) {
        why = "frontend keys: " + reason;
        return cfg.error();
    }
    std::vector<BlkQueueBinding> bindings;
    for (const BlkFrontQueue& q : cfg->queues) {
        PV_TRY_ASSIGN(port, ports.bind(q.evtchn, why));
        BlkQueueBinding b;
        b.ring_refs = q.ring_refs;
        b.kick = std::move(port.notify);
        b.raise = std::move(port.raise);
        b.persistent_grants = cfg->persistent;
        bindings.push_back(std::move(b));
    }
    auto disk = BlkDisk::open(m_probe.config());
    if (!disk.ok()) {
        why = "cannot reopen " + m_probe.config().path + " (" + errc_text(disk.error()) + ")";
        return disk.error() == Errc::invalid_argument ? Errc::io_error : disk.error();
    }
    auto backend = BlkBackend::create(std::move(disk).value(), grants, std::move(bindings));
    if (!backend.ok()) {
        why = "rings refused (" + errc_text(backend.error()) + "): bad ring grants or ring layout";
        return backend.error();
    }
    m_backend = std::move(backend).value();
    m_backend->start();
    m_served = cfg->queues;
    m_log(m_name + ": connected, " + std::to_string(cfg->queues.size()) + " queue(s), ring order " +
          std::to_string(cfg->ring_order) + ", " +
          (cfg->persistent ? "persistent" : "per-request") + " grants" +
          (m_probe.config().direct ? ", O_DIRECT" : ""));
    return {};
}

bool BlkDevice::front_moved(const KeyReader& front) {
    auto now = read_front(front, nullptr);
    if (!now.ok() || now->queues.size() != m_served.size())
        return true;
    for (std::size_t i = 0; i < m_served.size(); ++i) {
        if (now->queues[i].ring_refs != m_served[i].ring_refs ||
            now->queues[i].evtchn != m_served[i].evtchn)
            return true;
    }
    return false;
}

void BlkDevice::disconnect() {
    if (m_backend == nullptr)
        return;
    m_backend->stop(); // joins the queue threads; in-flight I/O completes first
    const BlkCounters& last = m_backend->disk().counters();
    m_log(m_name + ": counters " + one_line(last.format()));
    m_totals.add(last); // the disk and its counters go with the backend
    m_backend.reset();
    m_served.clear();
}

std::string BlkDevice::format_counters() const {
    BlkCounters sum;
    sum.add(m_totals);
    if (m_backend != nullptr)
        sum.add(m_backend->disk().counters());
    return sum.format();
}

} // namespace pvisor::backend
