// mgmt_server_test.cpp: vmm.sock over a real socket with a fake VM: replies in order, several
// clients, hostile lines, the socket's mode and stale-socket handling.
#include "mgmt_server.hpp"
#include "unix_client.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>

namespace pvisor::mgmt {
namespace {

class FakeTarget final : public Target {
  public:
    void pause() override { log += "pause;"; }
    void unpause() override { log += "unpause;"; }
    Info info() override {
        Info i;
        i.domid = 3;
        i.name = "t";
        i.counters = "c 1\n";
        return i;
    }
    std::optional<Error> pin_vcpu(std::uint64_t vcpu, const std::vector<std::uint64_t>& cpus) override {
        if (vcpu != 0)
            return Error{Code::invalid_argument, "vcpu " + std::to_string(vcpu) + " does not exist"};
        log += "pin " + std::to_string(cpus.size()) + ";";
        return std::nullopt;
    }
    void destroy() override { destroyed = true; }
    std::optional<Error> save(const Request& req, Saved& saved) override {
        if (req.path == "/full")
            return Error{Code::failed, "save: /full: No space left on device"};
        log += "save " + req.path + (req.keep_running ? " -c" : "") + (req.leave_paused ? " -p" : "") + ";";
        saved = Saved{1000, 7, 3, 5};
        return std::nullopt;
    }
    void saved_exit(const std::string& path) override { log += "exit " + path + ";"; }

    std::string log; // touched on the server thread; read after the replies arrived
    std::atomic<bool> destroyed{false};
};

struct MgmtServerTest : ::testing::Test {
    test::TempDir dir;
    FakeTarget target;
    std::unique_ptr<Server> server;
    std::string path() const { return dir.path() + "/vmm.sock"; }
    void SetUp() override {
        auto s = Server::create(path(), target);
        ASSERT_TRUE(s.ok());
        server = std::move(s).value();
    }
};

constexpr const char* kOk = "{\"ok\":true}\n";

TEST_F(MgmtServerTest, AnswersEachRequestInOrder) {
    auto c = test::connect_unix(path());
    ASSERT_TRUE(c.valid());
    // Pipelined in one write, one blank line, a request split over two writes.
    ASSERT_TRUE(test::send_all(c.get(), "{\"op\":\"pause\"}\n\n{\"op\":\"frob\"}\n{\"op\":\"unp"));
    ASSERT_TRUE(test::send_all(c.get(), "ause\"}\r\n{\"op\":\"vcpu-pin\",\"vcpu\":1,\"cpus\":[0]}\n"));
    const std::string want = std::string(kOk) +
                             R"({"ok":false,"error":{"code":"unknown_op","message":"unknown op \"frob\""}})"
                             "\n" + kOk +
                             R"({"ok":false,"error":{"code":"invalid_argument","message":"vcpu 1 does not exist"}})"
                             "\n";
    EXPECT_EQ(test::read_until(c.get(), "", want.size()), want);
    EXPECT_EQ(target.log, "pause;unpause;");
    ASSERT_TRUE(test::send_all(c.get(), "{\"op\":\"info\"}\n"));
    EXPECT_EQ(test::read_until(c.get(), "\n"),
              R"({"ok":true,"state":"running","domid":3,"name":"t","vcpus":[],"rss_kb":0,)"
              R"("memory_bytes":0,"counters":{"c":1}})"
              "\n");
}

TEST_F(MgmtServerTest, SeveralClientsAtOnce) {
    auto a = test::connect_unix(path());
    auto b = test::connect_unix(path());
    ASSERT_TRUE(a.valid() && b.valid());
    ASSERT_TRUE(test::send_all(a.get(), "{\"op\":\"vcpu-pin\",\"vcpu\":0,"));
    ASSERT_TRUE(test::send_all(b.get(), "{\"op\":\"pause\"}\n"));
    EXPECT_EQ(test::read_until(b.get(), "\n"), kOk);
    ASSERT_TRUE(test::send_all(a.get(), "\"cpus\":[1,2]}\n"));
    EXPECT_EQ(test::read_until(a.get(), "\n"), kOk);
    EXPECT_EQ(target.log, "pause;pin 2;");
}

TEST_F(MgmtServerTest, OversizedLineIsRefusedAndClosed) {
    auto c = test::connect_unix(path());
    ASSERT_TRUE(c.valid());
    (void)test::send_all(c.get(), std::string(kMaxLine + 10, ' '));
    bool eof = false;
    EXPECT_EQ(test::read_until(c.get(), "", 1 << 20, &eof),
              R"({"ok":false,"error":{"code":"bad_request","message":"request line longer than 65536 bytes"}})"
              "\n");
    EXPECT_TRUE(eof);
    // The server lives on for others.
    auto d = test::connect_unix(path());
    ASSERT_TRUE(test::send_all(d.get(), "{\"op\":\"unpause\"}\n"));
    EXPECT_EQ(test::read_until(d.get(), "\n"), kOk);
}

TEST_F(MgmtServerTest, HostileLinesGetErrorsNotCrashes) {
    auto c = test::connect_unix(path());
    ASSERT_TRUE(c.valid());
    const std::string junk[] = {"{\"op\":", "[[[[[[[[[[", std::string("\0\x01\xff", 3), "{\"op\":\"vcpu-pin\"}",
                                "{\"op\":\"vcpu-pin\",\"vcpu\":0,\"cpus\":{\"a\":1}}", "1e999999"};
    for (const std::string& j : junk) {
        ASSERT_TRUE(test::send_all(c.get(), j + "\n"));
        const std::string r = test::read_until(c.get(), "\n");
        EXPECT_EQ(r.rfind(R"({"ok":false,"error":{"code":"bad_request","message":)", 0), 0U) << j << " -> " << r;
    }
}

TEST_F(MgmtServerTest, DestroyRepliesThenActs) {
    auto c = test::connect_unix(path());
    ASSERT_TRUE(test::send_all(c.get(), "{\"op\":\"destroy\"}\n"));
    EXPECT_EQ(test::read_until(c.get(), "\n"), kOk); // sent before the VM goes
    for (int i = 0; i < 500 && !target.destroyed.load(); ++i)
        ::usleep(10'000);
    EXPECT_TRUE(target.destroyed.load());
}

TEST_F(MgmtServerTest, SaveRepliesWithFiguresThenExitsUnlessKeptRunning) {
    auto c = test::connect_unix(path());
    ASSERT_TRUE(test::send_all(c.get(), "{\"op\":\"save\",\"path\":\"/s\",\"keep_running\":true,"
                                        "\"paused\":true}\n{\"op\":\"save\",\"path\":\"/full\"}\n"
                                        "{\"op\":\"save\",\"path\":\"/x\"}\n"));
    const std::string want =
        R"({"ok":true,"bytes":1000,"pages":7,"zero_pages":3,"ms":5})" "\n"
        R"({"ok":false,"error":{"code":"failed","message":"save: /full: No space left on device"}})" "\n"
        R"({"ok":true,"bytes":1000,"pages":7,"zero_pages":3,"ms":5})" "\n";
    EXPECT_EQ(test::read_until(c.get(), "", want.size()), want);
    for (int i = 0; i < 500 && target.log.find("exit") == std::string::npos; ++i)
        ::usleep(10'000);
    EXPECT_EQ(target.log, "save /s -c -p;save /x;exit /x;");
}

TEST_F(MgmtServerTest, TooManyClientsAreTurnedAway) {
    std::vector<UniqueFd> clients;
    for (std::size_t i = 0; i < Server::kMaxClients; ++i) {
        clients.push_back(test::connect_unix(path()));
        ASSERT_TRUE(test::send_all(clients.back().get(), "{\"op\":\"unpause\"}\n"));
        ASSERT_EQ(test::read_until(clients.back().get(), "\n"), kOk); // accepted for sure
    }
    auto extra = test::connect_unix(path());
    bool eof = false;
    EXPECT_EQ(test::read_until(extra.get(), "", 4096, &eof),
              R"j({"ok":false,"error":{"code":"busy","message":"too many management clients (32)"}})j"
              "\n");
    EXPECT_TRUE(eof);
}

TEST_F(MgmtServerTest, SocketIsPrivateAndRemovedAtTheEnd) {
    struct stat st {};
    ASSERT_EQ(::lstat(path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600U);
    server.reset();
    EXPECT_NE(::lstat(path().c_str(), &st), 0);
}

TEST(MgmtServerCreate, ReplacesAStaleSocketButNotAFile) {
    test::TempDir dir;
    FakeTarget target;
    const std::string sock = dir.path() + "/vmm.sock";
    {
        // A socket file nobody listens on, as a crashed VMM leaves it.
        UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
        ASSERT_EQ(::bind(stale.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    }
    auto second = Server::create(sock, target);
    ASSERT_TRUE(second.ok());
    auto c = test::connect_unix(sock);
    ASSERT_TRUE(test::send_all(c.get(), "{\"op\":\"pause\"}\n"));
    EXPECT_EQ(test::read_until(c.get(), "\n"), kOk);

    const std::string file = dir.path() + "/plain";
    UniqueFd f(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    auto refused = Server::create(file, target);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error(), Errc::exists);
}

} // namespace
} // namespace pvisor::mgmt
