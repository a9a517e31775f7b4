// console_hub_test.cpp: console.sock: history then live output to every reader, input from
// any, a reader that falls behind is dropped without holding the output up.
#include "console_hub.hpp"
#include "unix_client.hpp"

#include <gtest/gtest.h>

#include <mutex>

namespace pvisor {
namespace {

struct ConsoleHubTest : ::testing::Test {
    test::TempDir dir;
    std::unique_ptr<ConsoleHub> hub;
    std::mutex lock;
    std::string input; // what clients sent, under `lock`
    std::string path() const { return dir.path() + "/console.sock"; }
    void SetUp() override {
        auto h = ConsoleHub::create(path());
        ASSERT_TRUE(h.ok());
        hub = std::move(h).value();
    }
    void start() {
        ASSERT_TRUE(hub->start([this](const char* d, std::size_t n) {
                           std::lock_guard g(lock);
                           input.append(d, n);
                       }).ok());
    }
    void out(const std::string& s) { hub->output(s.data(), s.size()); }
    std::string got_input() {
        for (int i = 0; i < 500; ++i) {
            {
                std::lock_guard g(lock);
                if (!input.empty())
                    return input;
            }
            ::usleep(10'000);
        }
        return {};
    }
};

TEST_F(ConsoleHubTest, HistoryThenLiveToEveryReader) {
    out("boot line 1\n"); // before start(): kept as history
    start();
    out("login: ");
    auto a = test::connect_unix(path());
    ASSERT_TRUE(a.valid());
    EXPECT_EQ(test::read_until(a.get(), "login: "), "boot line 1\nlogin: ");
    auto b = test::connect_unix(path());
    EXPECT_EQ(test::read_until(b.get(), "login: "), "boot line 1\nlogin: ");
    out("root\n");
    EXPECT_EQ(test::read_until(a.get(), "root\n"), "root\n");
    EXPECT_EQ(test::read_until(b.get(), "root\n"), "root\n");
}

TEST_F(ConsoleHubTest, HistoryIsTheLast64KiB) {
    std::string all;
    for (int i = 0; all.size() < 3 * ConsoleHub::kHistory; ++i)
        all += "line " + std::to_string(i) + "\n";
    out(all);
    start();
    auto c = test::connect_unix(path());
    EXPECT_EQ(test::read_until(c.get(), "", ConsoleHub::kHistory),
              all.substr(all.size() - ConsoleHub::kHistory));
}

TEST_F(ConsoleHubTest, InputFromAnyReaderGoesToTheGuest) {
    start();
    auto a = test::connect_unix(path());
    auto b = test::connect_unix(path());
    ASSERT_TRUE(test::send_all(b.get(), "ls\r"));
    EXPECT_EQ(got_input(), "ls\r");
}

TEST_F(ConsoleHubTest, AReaderThatDoesNotReadIsDropped) {
    start();
    auto slow = test::connect_unix(path());
    int small = 4096;
    ASSERT_EQ(::setsockopt(slow.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    auto live = test::connect_unix(path());
    ASSERT_TRUE(test::send_all(live.get(), "x")); // both accepted once input arrived
    ASSERT_EQ(got_input(), "x");
    const std::string chunk(64 * 1024, 'o');
    std::string seen;
    for (std::size_t i = 0; i < 2 * ConsoleHub::kBacklog / chunk.size(); ++i) {
        out(chunk); // never blocks, however full the slow reader's socket is
        seen += test::read_until(live.get(), "", chunk.size());
    }
    EXPECT_EQ(seen.size(), 2 * ConsoleHub::kBacklog);
    bool eof = false;
    const std::string rest = test::read_until(slow.get(), "", 4 * ConsoleHub::kBacklog, &eof);
    EXPECT_TRUE(eof);
    EXPECT_LT(rest.size(), 2 * ConsoleHub::kBacklog);
}

} // namespace
} // namespace pvisor
