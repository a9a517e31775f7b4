// daemon_api_test.cpp: the toolstack API's answers to bad and good requests, against a real
// Daemon in a private run directory (no VMM needs to start for these).
#include "api_server.hpp"
#include "store_client.hpp"

#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

class DaemonApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/pvisor-api-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        DaemonOptions opt;
        opt.dir = RunDir{dir};
        std::string why;
        auto d = Daemon::start(opt, why);
        ASSERT_TRUE(d.ok()) << why;
        daemon = std::move(*d);
    }
    void TearDown() override {
        daemon.reset();
        std::filesystem::remove_all(dir);
    }
    Json ask(std::string_view line) {
        return answer_line(*daemon, line, [](const std::string&) {});
    }
    static std::string code(const Json& reply) {
        const Json* e = json_object(reply, "error");
        const std::string* c = e != nullptr ? json_string(*e, "code") : nullptr;
        return c != nullptr ? *c : "(ok)";
    }
    static std::string message(const Json& reply) {
        const Json* e = json_object(reply, "error");
        const std::string* m = e != nullptr ? json_string(*e, "message") : nullptr;
        return m != nullptr ? *m : "";
    }
    std::string dir;
    std::unique_ptr<Daemon> daemon;
};

TEST_F(DaemonApiTest, MalformedRequestsAreBadRequest) {
    EXPECT_EQ(code(ask("")), "bad_request");
    EXPECT_EQ(code(ask("{\"op\": \"list\"")), "bad_request");   // truncated
    EXPECT_EQ(code(ask("[\"op\", \"list\"]")), "bad_request");  // not an object
    EXPECT_EQ(code(ask("{\"op\": 7}")), "bad_request");         // wrong type
    EXPECT_EQ(code(ask("{\"op\": \"list\"} x")), "bad_request"); // trailing garbage
    std::string deep(100, '[');
    EXPECT_EQ(code(ask("{\"op\": \"list\", \"x\": " + deep + "}")), "bad_request");
    std::string deep_ok = "{\"op\": \"list\", \"x\": " + std::string(20, '[') + std::string(20, ']') + "}";
    EXPECT_EQ(code(ask(deep_ok)), "(ok)");
    EXPECT_EQ(code(ask("{\"op\": \"launch\"}")), "unknown_op");
    EXPECT_EQ(message(ask("{\"op\": \"launch\"}")), "unknown operation \"launch\"");
}

TEST_F(DaemonApiTest, IdIsEchoedAndListStartsEmpty) {
    const Json r = ask("{\"id\": \"abc\", \"op\": \"list\"}");
    EXPECT_EQ(r["id"], "abc");
    EXPECT_EQ(r["ok"], true);
    ASSERT_NE(json_array(r, "domains"), nullptr);
    EXPECT_TRUE(json_array(r, "domains")->empty());
    const Json info = ask("{\"op\": \"info\"}");
    EXPECT_EQ(info["toolstack"]["domains"], 0);
    EXPECT_EQ(info["toolstack"]["store_socket"], dir + "/xenstored.sock");
}

TEST_F(DaemonApiTest, UnknownDomainIsNoSuchDomainForEveryOperation) {
    for (const char* op : {"destroy", "shutdown", "reboot", "pause", "unpause", "console",
                           "block-list", "network-list", "domain-info"}) {
        const Json r = ask(std::string("{\"op\": \"") + op + "\", \"dom\": \"nosuch\"}");
        EXPECT_EQ(code(r), "no_such_domain") << op;
        EXPECT_EQ(message(r), "no domain named nosuch") << op;
    }
    EXPECT_EQ(message(ask("{\"op\": \"destroy\", \"dom\": 42}")), "no domain 42");
    EXPECT_EQ(code(ask("{\"op\": \"destroy\", \"dom\": [1]}")), "bad_request");
    EXPECT_EQ(code(ask("{\"op\": \"mem-set\", \"dom\": \"x\", \"kib\": \"lots\"}")), "bad_request");
    EXPECT_EQ(code(ask("{\"op\": \"vcpu-pin\", \"dom\": \"x\", \"vcpu\": 0, \"cpus\": [100000]}")),
              "invalid_argument");
}

TEST_F(DaemonApiTest, CreateRefusesBadConfigsWithTheKey) {
    const auto create = [&](const std::string& cfg) { return ask("{\"op\": \"create\", \"config\": " + cfg + "}"); };
    EXPECT_EQ(code(ask("{\"op\": \"create\"}")), "bad_request");
    Json r = create("{\"name\": \"42\", \"kernel\": \"/k\", \"memory_mib\": 64}");
    EXPECT_EQ(code(r), "invalid_config");
    EXPECT_EQ(message(r), "config: name: must be 1-64 of A-Z a-z 0-9 _ . - (not all digits)");
    r = create("{\"name\": \"a\", \"kernel\": \"k\", \"memory_mib\": 64}");
    EXPECT_EQ(message(r), "config: kernel: an absolute path is required");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 8}");
    EXPECT_EQ(message(r), "config: memory_mib: must be 16..1048576");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"colour\": 1}");
    EXPECT_EQ(message(r), "config: colour: unknown key");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"vcpus\": 65}");
    EXPECT_EQ(message(r), "config: vcpus: must be 1..64");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"acpi\": 0}");
    EXPECT_EQ(message(r), "config: acpi: must be true or false");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"disks\": [{\"target\": \"/d\", \"vdev\": \"sda\"}]}");
    EXPECT_EQ(message(r), "config: disks[0]: vdev: must be a whole disk xvda..xvdp");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"vifs\": [{\"mac\": \"01:00:00:00:00:01\"}]}");
    EXPECT_EQ(message(r), "config: vifs[0]: mac: must be a unicast xx:xx:xx:xx:xx:xx");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"vifs\": [{\"handle\": 8}]}");
    EXPECT_EQ(message(r), "config: vifs[0]: handle: must be 0..7");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"vifs\": [{\"handle\": 1}, {\"handle\": 1}]}");
    EXPECT_EQ(message(r), "config: vifs[1]: handle: 1 is given twice");
    r = create("{\"name\": \"a\", \"kernel\": \"/k\", \"memory_mib\": 64, \"on_reboot\": \"explode\"}");
    EXPECT_EQ(message(r), "config: on_reboot: must be destroy, restart or preserve");
    r = create("{\"name\": \"a\", \"kernel\": \"/nonexistent/vmlinuz\", \"memory_mib\": 64}");
    EXPECT_EQ(code(r), "invalid_config");
    EXPECT_EQ(message(r), "kernel: /nonexistent/vmlinuz: cannot read it");
    // Nothing was created by any of them.
    EXPECT_TRUE(json_array(ask("{\"op\": \"list\"}"), "domains")->empty());
}

TEST_F(DaemonApiTest, StoreSocketServesAndSnapshotsItsWrites) {
    auto client = store::StoreClient::connect(dir + "/xenstored.sock");
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(client->write("/tool/pvtest", "42").ok());
    EXPECT_EQ(*client->read("/tool/pvtest"), "42");
    // The snapshot a restarted service starts from holds the write.
    std::string snap;
    for (int i = 0; i < 200 && snap.find("/tool/pvtest") == std::string::npos; ++i) {
        (void)read_small_file(dir + "/store.snap", snap, 1 << 20);
        ::usleep(10000);
    }
    EXPECT_NE(snap.find("/tool/pvtest"), std::string::npos);
    daemon.reset();
    DaemonOptions opt;
    opt.dir = RunDir{dir};
    std::string why;
    auto again = Daemon::start(opt, why);
    ASSERT_TRUE(again.ok()) << why;
    auto c2 = store::StoreClient::connect(dir + "/xenstored.sock");
    ASSERT_TRUE(c2.ok());
    EXPECT_EQ(*c2->read("/tool/pvtest"), "42");
    daemon = std::move(*again);
}

TEST_F(DaemonApiTest, SecondDaemonOnTheSameDirectoryIsRefused) {
    DaemonOptions opt;
    opt.dir = RunDir{dir};
    std::string why;
    auto second = Daemon::start(opt, why);
    EXPECT_EQ(second.error(), Errc::busy);
    EXPECT_EQ(why, "another pvisor daemon runs on " + dir);
}

// Vifs keep their handles (device ids) through the domain record; those without one take the
// lowest the others leave, in order.
TEST(DomainSpecTest, VifHandlesAreKeptOrFilledIn) {
    std::string why;
    auto spec = spec_from_json(Json::parse(R"({"name": "a", "kernel": "/k", "memory_mib": 64,
        "vifs": [{}, {"handle": 0}, {"bridge": "br0"}, {"handle": 5}]})"), why);
    ASSERT_TRUE(spec.ok()) << why;
    std::vector<unsigned> handles;
    for (const DomainVif& v : spec->vifs)
        handles.push_back(v.handle);
    EXPECT_EQ(handles, (std::vector<unsigned>{1, 0, 2, 5}));
    auto again = spec_from_json(spec_to_json(*spec), why);
    ASSERT_TRUE(again.ok()) << why;
    ASSERT_EQ(again->vifs.size(), 4u);
    EXPECT_EQ(again->vifs[2].handle, 2u);
    EXPECT_EQ(again->vifs[2].bridge, "br0");
    EXPECT_EQ(again->vifs[3].handle, 5u);
}

TEST(DomainSpecTest, NamesAndDefaultMacs) {
    EXPECT_EQ(default_mac(1, 0), "02:50:56:00:01:00");
    EXPECT_EQ(default_mac(300, 2), "02:50:56:01:2c:02");
    EXPECT_TRUE(valid_domain_name("web-1.prod"));
    EXPECT_FALSE(valid_domain_name("123"));
    EXPECT_FALSE(valid_domain_name("-x"));
    EXPECT_FALSE(valid_domain_name("a b"));
    EXPECT_FALSE(valid_domain_name(std::string(65, 'a')));
}

// acpi: true unless the config says false; it survives the JSON the service keeps (and reads
// back after a restart).
TEST(DomainSpecTest, AcpiDefaultAndRoundTrip) {
    std::string why;
    const Json base = {{"name", "a"}, {"kernel", "/k"}, {"memory_mib", 64}};
    auto d = spec_from_json(base, why);
    ASSERT_TRUE(d.ok()) << why;
    EXPECT_TRUE(d->acpi);
    Json off = base;
    off["acpi"] = false;
    auto o = spec_from_json(off, why);
    ASSERT_TRUE(o.ok()) << why;
    EXPECT_FALSE(o->acpi);
    const Json back = spec_to_json(*o);
    EXPECT_EQ(back["acpi"], false);
    auto again = spec_from_json(back, why);
    ASSERT_TRUE(again.ok()) << why;
    EXPECT_FALSE(again->acpi);
}

} // namespace
} // namespace pvisor::toolstack
