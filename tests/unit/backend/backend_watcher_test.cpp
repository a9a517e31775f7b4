// backend_watcher_test.cpp: BackendWatcher with the block kind (pvisor-blkback) against the real
// store service and control server (in-process, over their unix sockets). The test plays the
// toolstack (device directories, detach, removal) and pvblk (frontend keys, a ring, a read).
#include "backend_watcher.hpp"
#include "blk_device.hpp"
#include "blk_test_util.hpp"
#include "child_process.hpp"
#include "control_fixture.hpp"
#include "frontend_model.hpp"
#include "store.hpp"
#include "store_client.hpp"
#include "store_service.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <optional>
#include <pv/event_channel.h>
#include <pv/grant_table.h>
#include <pv/memory.h>
#include <pv/xs_wire.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace pvisor::backend {
namespace {

using store::StoreClient;
using testing::FrontRing;
using testing::read_file;

constexpr std::uint64_t kGrantGpa = 0x30000; // grant frame 0: refs 0..511
constexpr std::uint64_t kRingGpa = 0x40000;
constexpr std::uint64_t kDataGpa = 0x41000;
constexpr pv_grant_ref kRingRef = 8, kDataRef = 9;
constexpr unsigned kXvda = 51712, kXvdb = 51728;

class BlkWatcherTest : public test::ControlFixture {
  protected:
    void SetUp() override {
        ControlFixture::SetUp();
        store::StoreConfig sc;
        sc.socket_path = dir + "/store.sock";
        sc.guest_domid = 1;
        auto svc = store::StoreService::create(sc);
        ASSERT_TRUE(svc.ok());
        service = std::move(*svc);
        ASSERT_TRUE(service->start().ok());
        xen_add_to_physmap x{};
        x.domid = DOMID_SELF;
        x.space = XENMAPSPACE_grant_table;
        x.gpfn = kGrantGpa >> 12;
        ASSERT_TRUE(platform.m_mem.write_obj(kArg, x).ok());
        ASSERT_EQ(hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, kArg), 0);
        guest.emplace(StoreClient::from_fd(service->connect_fd(1).value()));
        admin.emplace(StoreClient::from_fd(service->connect_fd(0).value()));
        wake = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        image_a = std::make_unique<testing::TempImage>(1 << 20, dir.c_str());
        image_b = std::make_unique<testing::TempImage>(2 << 20, dir.c_str());
        ASSERT_TRUE(image_a->ok() && image_b->ok());
        // Sector 0 of a.img: a pattern the test reads back through the ring.
        const int fd = ::open(image_a->path().c_str(), O_WRONLY | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        std::array<std::uint8_t, 512> sector{};
        for (std::size_t i = 0; i < sector.size(); ++i)
            sector[i] = static_cast<std::uint8_t>(i * 3 + 1);
        ASSERT_EQ(::pwrite(fd, sector.data(), sector.size(), 0), 512);
        ::close(fd);
    }

    void TearDown() override {
        stop_loop();
        watcher.reset();
        guest.reset();
        admin.reset();
        service.reset();
        image_a.reset();
        image_b.reset();
        ControlFixture::TearDown();
    }

    static std::string back_dir(unsigned devid) {
        return "/local/domain/0/backend/vbd/1/" + std::to_string(devid);
    }

    // The toolstack's vbd directories with `keys` in the backend one, written whole under one
    // store lock (as pvisor and libxl do).
    void add_disk(unsigned devid, const std::vector<std::pair<std::string, std::string>>& keys) {
        store::XsStatus st;
        service->with_store([&](store::Store& s) {
            st = s.add_device(1, "vbd", devid, 0);
            const store::ConnId c = s.connect(0);
            for (const auto& [k, v] : keys)
                st = st.ok() ? s.write(c, 0, back_dir(devid) + "/" + k, v) : st;
            s.disconnect(c);
        });
        ASSERT_TRUE(st.ok());
    }

    // Writes as the toolstack (dom0), all in one store lock.
    void toolstack(const std::vector<std::pair<std::string, std::string>>& writes) {
        service->with_store([&](store::Store& s) {
            const store::ConnId c = s.connect(0);
            for (const auto& [path, value] : writes)
                EXPECT_TRUE(s.write(c, 0, path, value).ok()) << path;
            s.disconnect(c);
        });
    }

    // Removes both directories of a disk, as the toolstack does after a detach.
    void remove_disk(unsigned devid) {
        service->with_store([&](store::Store& s) {
            const store::ConnId c = s.connect(0);
            EXPECT_TRUE(s.rm(c, 0, back_dir(devid)).ok());
            EXPECT_TRUE(s.rm(c, 0, "/local/domain/1/device/vbd/" + std::to_string(devid)).ok());
            s.disconnect(c);
        });
    }

    void start_watcher() {
        BackendWatcher::Config cfg;
        cfg.store_socket = dir + "/store.sock";
        cfg.domid = 1;
        cfg.control_socket = server->socket_path();
        cfg.kind = BlkDevice::kind();
        cfg.log = [this](const std::string& l) {
            std::lock_guard lock(log_lock);
            log.push_back(l);
        };
        std::string why;
        auto w = BackendWatcher::create(std::move(cfg), why);
        ASSERT_TRUE(w.ok()) << why;
        watcher = std::move(*w);
        loop =
            std::thread([this] { loop_status = watcher->serve(wake.get(), [] { return false; }); });
    }

    // Ends the loop thread: the watcher's figures are read only after this.
    void stop_loop() {
        if (!loop.joinable())
            return;
        const std::uint64_t one = 1;
        ASSERT_EQ(::write(wake.get(), &one, sizeof one), 8);
        loop.join();
    }

    // A backend node as dom0 reads it: its value, "<ENOENT>" when absent, "?" otherwise.
    std::string back(unsigned devid, const std::string& key) {
        auto v = admin->read(back_dir(devid) + (key.empty() ? "" : "/" + key));
        if (v.ok())
            return *v;
        return v.error() == store::XsErr::enoent ? "<ENOENT>" : "?";
    }
    bool wait_back(unsigned devid, const std::string& key, const std::string& want) {
        return eventually([&] { return back(devid, key) == want; });
    }
    bool wait_state(unsigned devid, int want) {
        return wait_back(devid, "state", std::to_string(want));
    }

    void put(unsigned devid, const std::string& key, const std::string& value) {
        ASSERT_TRUE(guest->write("device/vbd/" + std::to_string(devid) + "/" + key, value).ok())
            << key;
    }

    void grant(pv_grant_ref ref, std::uint64_t gpa) {
        grant_entry_v1 e{};
        e.domid = 0;
        e.frame = static_cast<std::uint32_t>(gpa >> 12);
        e.flags = GTF_permit_access;
        ASSERT_TRUE(platform.m_mem.write_obj(kGrantGpa + ref * sizeof e, e).ok());
    }

    std::byte* host(std::uint64_t gpa) { return platform.m_mem.translate(gpa, 4096)->data(); }

    // pvblk's connect: a fresh one-page ring, its grant, an unbound port for dom 0, the keys,
    // then Initialised.
    void frontend_connects(unsigned devid) {
        ring.emplace(host(kRingGpa));
        grant(kRingRef, kRingGpa);
        port = alloc_unbound(0);
        put(devid, "ring-ref", std::to_string(kRingRef));
        put(devid, "event-channel", std::to_string(port));
        put(devid, "protocol", "x86_64-abi");
        put(devid, "state", std::to_string(XenbusStateInitialised));
    }

    // Reads sector 0 through the ring into a granted page; true if it holds a.img's pattern.
    bool read_sector0() {
        grant(kDataRef, kDataGpa);
        std::memset(host(kDataGpa), 0, 4096);
        ring->put(testing::make_rw(BLKIF_OP_READ, 42, 0, {{kDataRef, 0, 0, 0}}));
        ring->push();
        evtchn_send s{port};
        EXPECT_TRUE(platform.m_mem.write_obj(kArg, s).ok());
        EXPECT_EQ(hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, kArg), 0);
        std::vector<blkif_response> rsp;
        EXPECT_TRUE(eventually([&] {
            auto more = ring->take_responses();
            rsp.insert(rsp.end(), more.begin(), more.end());
            return !rsp.empty();
        }));
        if (rsp.size() != 1 || rsp[0].id != 42 || rsp[0].status != BLKIF_RSP_OKAY)
            return false;
        for (std::size_t i = 0; i < 512; ++i) {
            if (std::to_integer<std::uint8_t>(host(kDataGpa)[i]) !=
                static_cast<std::uint8_t>(i * 3 + 1))
                return false;
        }
        return true;
    }

    std::string dump_log() {
        std::lock_guard lock(log_lock);
        std::string s;
        for (const auto& l : log)
            s += l + "\n";
        return s;
    }

    std::vector<std::pair<std::string, std::string>> disk_a(const char* mode = "w") {
        return {{"dev", "xvda"}, {"params", image_a->path()}, {"mode", mode}};
    }

    std::unique_ptr<store::StoreService> service;
    std::optional<StoreClient> guest; // the guest's connection (pvblk's keys)
    std::optional<StoreClient> admin; // a dom0 connection: what the test reads
    std::unique_ptr<testing::TempImage> image_a, image_b;
    UniqueFd wake;
    std::unique_ptr<BackendWatcher> watcher;
    std::thread loop;
    Status loop_status;
    std::mutex log_lock;
    std::vector<std::string> log;
    std::optional<FrontRing> ring;
    std::uint32_t port = 0;
};

// Two disks written before the backend starts: both offered with their own configuration; one
// connects and serves a read.
TEST_F(BlkWatcherTest, ServesEveryDeviceFoundAtStart) {
    add_disk(kXvda, disk_a());
    add_disk(kXvdb, {{"dev", "xvdb"},
                     {"params", image_b->path()},
                     {"mode", "r"},
                     {"queues", "2"},
                     {"direct-io", "0"}});
    start_watcher();
    ASSERT_TRUE(wait_state(kXvda, XenbusStateInitWait)) << dump_log();
    ASSERT_TRUE(wait_state(kXvdb, XenbusStateInitWait)) << dump_log();
    EXPECT_EQ(back(kXvda, "hotplug-status"), "connected");
    EXPECT_EQ(back(kXvda, "hotplug-error"), "<ENOENT>");
    EXPECT_EQ(back(kXvda, "sectors"), "2048");
    EXPECT_EQ(back(kXvda, "info"), "0");
    EXPECT_EQ(back(kXvda, "multi-queue-max-queues"), "1");
    EXPECT_EQ(back(kXvdb, "sectors"), "4096");
    EXPECT_EQ(back(kXvdb, "info"), std::to_string(VDISK_READONLY));
    EXPECT_EQ(back(kXvdb, "multi-queue-max-queues"), "2");
    frontend_connects(kXvda);
    ASSERT_TRUE(wait_state(kXvda, XenbusStateConnected)) << dump_log();
    EXPECT_TRUE(read_sector0()) << dump_log();
    stop_loop();
    EXPECT_TRUE(loop_status.ok());
    EXPECT_EQ(watcher->served(), 2U);
    EXPECT_EQ(watcher->stats().added, 2U);
    EXPECT_EQ(watcher->stats().broken, 0U);
    ASSERT_NE(watcher->find(kXvda), nullptr);
    EXPECT_EQ(watcher->find(kXvda)->name(), "xvda");
    EXPECT_EQ(watcher->find(kXvda)->stats().connects, 1U);
    const std::string counters = watcher->format_counters();
    EXPECT_NE(counters.find("xvda.requests 1\n"), std::string::npos) << counters;
    EXPECT_NE(counters.find("xvda.bytes_read 512\n"), std::string::npos) << counters;
    EXPECT_NE(counters.find("xvdb.session.connects 0\n"), std::string::npos) << counters;
    EXPECT_NE(counters.find("vbd1.devices.added 2\n"), std::string::npos) << counters;
    watcher->shutdown(true);
    EXPECT_EQ(back(kXvda, "state"), std::to_string(XenbusStateClosed));
    EXPECT_EQ(back(kXvdb, "state"), std::to_string(XenbusStateClosed));
    EXPECT_EQ(platform.m_notify_fds.load(), 0);
}

// A disk added while the backend runs is served; xl block-detach (online = 0, state =
// Closing) closes it: requests finished, port unbound, Closed, forgotten; the toolstack then
// removes the directories and nothing brings them back.
TEST_F(BlkWatcherTest, HotplugThenDetach) {
    start_watcher();
    ASSERT_TRUE(eventually([&] {
        return dump_log().find("watching /local/domain/0/backend/vbd/1: 0 device(s)") !=
               std::string::npos;
    })) << dump_log();
    add_disk(kXvda, disk_a());
    ASSERT_TRUE(wait_state(kXvda, XenbusStateInitWait)) << dump_log();
    frontend_connects(kXvda);
    ASSERT_TRUE(wait_state(kXvda, XenbusStateConnected)) << dump_log();
    EXPECT_TRUE(read_sector0()) << dump_log();
    EXPECT_EQ(platform.m_notify_fds.load(), 1);

    toolstack({{back_dir(kXvda) + "/online", "0"},
               {back_dir(kXvda) + "/state", std::to_string(XenbusStateClosing)}});
    ASSERT_TRUE(wait_state(kXvda, XenbusStateClosed)) << dump_log();
    ASSERT_TRUE(eventually([&] { return platform.m_notify_fds.load() == 0; }));
    EXPECT_EQ(port_status(port).first, std::uint32_t{EVTCHNSTAT_unbound});
    // The frontend's Closed after the detach changes nothing: the device is forgotten.
    put(kXvda, "state", std::to_string(XenbusStateClosed));
    remove_disk(kXvda);
    ASSERT_TRUE(eventually([&] { return dump_log().find("xvda: detached") != std::string::npos; }))
        << dump_log();
    stop_loop();
    EXPECT_EQ(back(kXvda, ""), "<ENOENT>"); // not brought back by a late write
    EXPECT_EQ(watcher->served(), 0U);
    EXPECT_EQ(watcher->stats().added, 1U);
    EXPECT_EQ(watcher->stats().closed, 1U);
    EXPECT_EQ(watcher->stats().dropped, 0U);
    EXPECT_NE(dump_log().find("xvda.requests 1"), std::string::npos) << dump_log();
}

// The toolstack removes a connected disk's directories outright: the device is dropped, its
// port released, and no node of it written again.
TEST_F(BlkWatcherTest, RemovedDirectoryDropsTheDevice) {
    add_disk(kXvda, disk_a());
    start_watcher();
    ASSERT_TRUE(wait_state(kXvda, XenbusStateInitWait)) << dump_log();
    frontend_connects(kXvda);
    ASSERT_TRUE(wait_state(kXvda, XenbusStateConnected)) << dump_log();
    remove_disk(kXvda);
    ASSERT_TRUE(eventually([&] { return platform.m_notify_fds.load() == 0; })) << dump_log();
    stop_loop();
    EXPECT_EQ(back(kXvda, ""), "<ENOENT>");
    EXPECT_EQ(watcher->served(), 0U);
    EXPECT_EQ(watcher->stats().dropped, 1U);
    EXPECT_NE(dump_log().find("xvda: directory removed: dropped"), std::string::npos) << dump_log();
}

struct Malformed {
    const char* what;
    std::vector<std::pair<std::string, std::string>> keys; // over xvdb's good ones
    std::string error;                                     // "%DIR%": the test's directory
};

class BlkWatcherMalformed : public BlkWatcherTest,
                            public ::testing::WithParamInterface<Malformed> {};

// A disk whose nodes cannot be served gets exactly its hotplug-error and Closed, is counted
// once; the disk beside it is served all the same.
TEST_P(BlkWatcherMalformed, RefusesThatDeviceOnly) {
    std::map<std::string, std::string> keys{
        {"dev", "xvdb"}, {"params", image_b->path()}, {"mode", "w"}};
    for (const auto& [k, v] : GetParam().keys) {
        if (v == "<ENOENT>")
            keys.erase(k);
        else
            keys[k] = v == "%DIR%" ? dir + "/missing.img" : v;
    }
    add_disk(kXvdb, {keys.begin(), keys.end()});
    add_disk(kXvda, disk_a());
    start_watcher();
    std::string want = GetParam().error;
    if (const auto at = want.find("%DIR%"); at != std::string::npos)
        want.replace(at, 5, dir);
    ASSERT_TRUE(wait_back(kXvdb, "hotplug-error", want)) << back(kXvdb, "hotplug-error");
    EXPECT_EQ(back(kXvdb, "hotplug-status"), "error");
    EXPECT_EQ(back(kXvdb, "state"), std::to_string(XenbusStateClosed));
    ASSERT_TRUE(wait_state(kXvda, XenbusStateInitWait)) << dump_log();
    frontend_connects(kXvda);
    ASSERT_TRUE(wait_state(kXvda, XenbusStateConnected)) << dump_log();
    // More events on the broken device's directory log nothing more.
    toolstack({{back_dir(kXvdb) + "/unrelated", "1"}});
    stop_loop();
    EXPECT_EQ(watcher->stats().broken, 1U);
    EXPECT_EQ(watcher->stats().added, 1U);
    EXPECT_EQ(watcher->served(), 1U);
    const std::string lines = dump_log();
    const auto first = lines.find("xvdb: " + want + "; not served");
    EXPECT_NE(first, std::string::npos) << lines;
    EXPECT_EQ(lines.find("xvdb: " + want, first + 1), std::string::npos) << lines;
}

INSTANTIATE_TEST_SUITE_P(
    Nodes, BlkWatcherMalformed,
    ::testing::Values(
        Malformed{"bad_mode", {{"mode", "x"}}, "mode: 'x' is not r or w"},
        Malformed{"no_mode", {{"mode", "<ENOENT>"}}, "mode: missing"},
        Malformed{"no_params", {{"params", "<ENOENT>"}}, "params: missing"},
        Malformed{"unopenable",
                  {{"params", "%DIR%"}},
                  "params: cannot open '%DIR%/missing.img' (not found)"},
        Malformed{"bad_queues", {{"queues", "99"}}, "queues: '99' is not a number in 1..16"},
        Malformed{"bad_direct", {{"direct-io", "yes"}}, "direct-io: 'yes' is not 0 or 1"},
        Malformed{"foreign_frontend",
                  {{"frontend", "/local/domain/2/device/vbd/51728"}},
                  "frontend: '/local/domain/2/device/vbd/51728' is not "
                  "/local/domain/1/device/vbd/51728"}),
    [](const auto& p) { return std::string(p.param.what); });

// kill -9 of a backend serving two disks, one connected; pvisor closes the devices (here the
// test writes Closing, Closed as pvisor's control server does); the frontend follows; a new
// process finds both disks in the store, offers them again, and the reconnected one reads.
TEST_F(BlkWatcherTest, RestartedProcessFindsEveryDevice) {
    const char* exe = std::getenv("PVISOR_BLKBACK");
    if (exe == nullptr)
        GTEST_SKIP() << "PVISOR_BLKBACK (the pvisor-blkback binary) not set";
    const std::string err_path = dir + "/blkback.err";
    const std::vector<std::string> args{"--store", dir + "/store.sock", "--domid",
                                        "1",       "--control",         server->socket_path()};
    add_disk(kXvda, disk_a());
    add_disk(kXvdb, {{"dev", "xvdb"}, {"params", image_b->path()}, {"mode", "r"}});
    {
        testing::ChildProcess first(exe, args, err_path);
        ASSERT_TRUE(wait_state(kXvda, XenbusStateInitWait)) << read_file(err_path);
        ASSERT_TRUE(wait_state(kXvdb, XenbusStateInitWait)) << read_file(err_path);
        frontend_connects(kXvda);
        ASSERT_TRUE(wait_state(kXvda, XenbusStateConnected)) << read_file(err_path);
        EXPECT_TRUE(read_sector0()) << read_file(err_path);
        EXPECT_EQ(first.stop(SIGKILL), -1);
    }
    ASSERT_TRUE(eventually([&] { return platform.m_notify_fds.load() == 0; }));
    for (const unsigned devid : {kXvda, kXvdb})
        toolstack({{back_dir(devid) + "/state", std::to_string(XenbusStateClosing)},
                   {back_dir(devid) + "/state", std::to_string(XenbusStateClosed)}});
    put(kXvda, "state", std::to_string(XenbusStateClosing)); // pvblk follows
    put(kXvda, "state", std::to_string(XenbusStateClosed));
    // The second one also keeps a metrics file (the toolstack's `top` reads it).
    const std::string metrics = dir + "/blkback.metrics";
    auto with_metrics = args;
    with_metrics.insert(with_metrics.end(), {"--metrics", metrics});
    testing::ChildProcess second(exe, with_metrics, err_path);
    ASSERT_TRUE(wait_state(kXvda, XenbusStateInitWait)) << read_file(err_path);
    ASSERT_TRUE(wait_state(kXvdb, XenbusStateInitWait)) << read_file(err_path);
    frontend_connects(kXvda); // pvbus's reconnect: a fresh ring and port
    ASSERT_TRUE(wait_state(kXvda, XenbusStateConnected)) << read_file(err_path);
    EXPECT_TRUE(read_sector0()) << read_file(err_path);
    const std::string xvda = "vbd." + std::to_string(kXvda) + ".xvda.";
    EXPECT_TRUE(eventually([&] {
        const std::string m = read_file(metrics);
        return m.find(xvda + "requests 1\n") != std::string::npos &&
               m.find(xvda + "bytes_read 512\n") != std::string::npos &&
               m.find(xvda + "bytes_written 0\n") != std::string::npos &&
               m.find("vbd.devices.added 2\n") != std::string::npos &&
               // served under the seccomp filter, and nothing it did was refused
               m.find("sandbox.enabled 1\nsandbox.denied 0\n") != std::string::npos;
    })) << read_file(metrics);
    EXPECT_EQ(second.stop(SIGTERM), 0) << read_file(err_path);
    const std::string err = read_file(err_path);
    EXPECT_EQ(back(kXvda, "state"), std::to_string(XenbusStateClosed)) << err;
    EXPECT_NE(err.find("pvisor-blkback: watching /local/domain/0/backend/vbd/1: 2 device(s)\n"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("xvda.session.connects 1\n"), std::string::npos) << err;
    EXPECT_NE(err.find("vbd1.devices.added 2\n"), std::string::npos) << err;
}

// The specs of old are refused: the configuration lives in the store.
TEST_F(BlkWatcherTest, ProcessRefusesDiskSpecs) {
    const char* exe = std::getenv("PVISOR_BLKBACK");
    if (exe == nullptr)
        GTEST_SKIP() << "PVISOR_BLKBACK (the pvisor-blkback binary) not set";
    const std::string err_path = dir + "/usage.err";
    testing::ChildProcess p(exe, {"--control", server->socket_path(), "--disk", image_a->path()},
                            err_path);
    EXPECT_EQ(p.stop(0), 2);
    EXPECT_TRUE(read_file(err_path).starts_with(
        "pvisor-blkback: unknown argument '--disk'\nusage: pvisor-blkback --store SOCKET "
        "--domid N --control SOCKET [--metrics FILE]\n"))
        << read_file(err_path);
}

} // namespace
} // namespace pvisor::backend
