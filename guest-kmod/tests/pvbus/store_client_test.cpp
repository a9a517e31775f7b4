// store_client_test.cpp: pvcore's store client (pvbus_ring/xs/watch.c, built for userspace
// over kshim) against pvisor's own StoreRing and Store: replies, errors, transactions,
// watches, concurrent callers, killed callers, and a hostile ring.
#include "client.h"
#include "store_host.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <gtest/gtest.h>
#include <mutex>
#include <pv/xs_wire.h>
#include <string>
#include <thread>
#include <vector>

namespace {

using pvbus_test::Host;
using pvbus_test::kGuest;

class StoreClient : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(tc_start(), 0); }
    void TearDown() override { tc_stop(); }

    // The value, or "<errno>" for a failed read.
    static std::string read(const std::string& path, std::uint32_t tx = 0) {
        std::array<char, 4200> buf{};
        const int err = tc_read(tx, path.c_str(), buf.data(), buf.size());
        return err ? "<" + std::to_string(err) + ">" : std::string(buf.data());
    }
    static std::string dir(const std::string& path) {
        std::array<char, 4200> buf{};
        const int err = tc_directory(path.c_str(), buf.data(), buf.size());
        return err ? "<" + std::to_string(err) + ">" : std::string(buf.data());
    }
    static bool wait_events(int n) {
        for (int i = 0; i < 5000 && tc_watch_events() < n; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return tc_watch_events() == n;
    }
    static std::string err(int e) { return "<" + std::to_string(e) + ">"; }

    Host m_host;
};

TEST_F(StoreClient, RelativeAndAbsolutePathsUnderTheHome) {
    EXPECT_EQ(read("domid"), "1");
    EXPECT_EQ(read("name"), "guest");
    ASSERT_EQ(tc_write(0, "data/x", "hello"), 0);
    EXPECT_EQ(read("data/x"), "hello");
    EXPECT_EQ(read("/local/domain/1/data/x"), "hello");
    EXPECT_EQ(dir("data"), "x\n");
    EXPECT_EQ(dir("data/x"), "");
    EXPECT_EQ(m_host.counters().resets, 1U); // the reconnect at start
}

TEST_F(StoreClient, StoreErrorsBecomeErrnos) {
    EXPECT_EQ(read("data/missing"), err(-ENOENT));
    EXPECT_EQ(read("/local/domain/0"), err(-EACCES));
    EXPECT_EQ(dir("/local/domain/0/backend"), err(-EACCES));
    EXPECT_EQ(tc_write(0, "domid", "7"), -EACCES);
    EXPECT_EQ(tc_write(0, "/local/domain/0/x", "1"), -EACCES);
    EXPECT_EQ(tc_write(0, "data/bad//path", "1"), -EINVAL);
}

TEST_F(StoreClient, PayloadLimit) {
    const std::string big(XENSTORE_PAYLOAD_MAX, 'a'); // + path: over the limit, not sent
    EXPECT_EQ(tc_write(0, "data/big", big.c_str()), -E2BIG);
    const std::string quota(PV_XS_QUOTA_VALUE_BYTES + 1, 'q');
    EXPECT_EQ(tc_write(0, "data/q", quota.c_str()), -ENOSPC);
    const std::string mid(2000, 'b'); // spans the 1 KiB ring twice
    ASSERT_EQ(tc_write(0, "data/mid", mid.c_str()), 0);
    EXPECT_EQ(read("data/mid"), mid);
}

TEST_F(StoreClient, TransactionConflictIsEagain) {
    ASSERT_EQ(tc_write(0, "data/x", "v0"), 0);
    std::uint32_t tx = 0;
    ASSERT_EQ(tc_tx_start(&tx), 0);
    EXPECT_NE(tx, 0U);
    EXPECT_EQ(read("data/x", tx), "v0");
    ASSERT_EQ(tc_write(tx, "data/x", "tx"), 0);
    EXPECT_EQ(read("data/x"), "v0"); // private until commit
    m_host.write("/local/domain/1/data/x", "host");
    EXPECT_EQ(tc_tx_end(tx, false), -EAGAIN);
    EXPECT_EQ(read("data/x"), "host");

    ASSERT_EQ(tc_tx_start(&tx), 0);
    ASSERT_EQ(tc_write(tx, "data/x", "tx2"), 0);
    EXPECT_EQ(tc_tx_end(tx, false), 0);
    EXPECT_EQ(read("data/x"), "tx2");
    ASSERT_EQ(tc_tx_start(&tx), 0);
    ASSERT_EQ(tc_write(tx, "data/x", "aborted"), 0);
    EXPECT_EQ(tc_tx_end(tx, true), 0);
    EXPECT_EQ(read("data/x"), "tx2");
}

TEST_F(StoreClient, HostWriteFiresTheWatchUntilUnwatched) {
    ASSERT_EQ(tc_watch("data/kick"), 0);
    EXPECT_TRUE(wait_events(1)); // the first event, at registration
    m_host.write("/local/domain/1/data/kick", "42");
    EXPECT_TRUE(wait_events(2));
    EXPECT_EQ(read("data/kick"), "42");
    tc_unwatch();
    m_host.write("/local/domain/1/data/kick", "43");
    ASSERT_EQ(tc_write(0, "data/sync", "1"), 0); // a round trip after the host's write
    EXPECT_EQ(tc_watch_events(), 2);
}

TEST_F(StoreClient, ConcurrentCallersGetTheirOwnReplies) {
    constexpr int kThreads = 4;
    constexpr int kRounds = 300;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++)
        threads.emplace_back([t, &wrong] {
            const std::string path = "data/t" + std::to_string(t);
            for (int i = 0; i < kRounds; i++) {
                const std::string value = "v" + std::to_string(t) + "-" + std::to_string(i);
                if (tc_write(0, path.c_str(), value.c_str()) != 0 || read(path) != value)
                    wrong++;
            }
        });
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(m_host.counters().broken, 0U);
    EXPECT_GE(m_host.counters().messages, std::uint64_t{2 * kThreads * kRounds});
}

// The killed caller's reply comes after it left; the reader drops it (and frees the request)
// and the next caller still gets its own reply.
TEST_F(StoreClient, KilledCallerLeavesTheConnectionUsable) {
    for (int i = 0; i < 20; i++) {
        m_host.pause(true);
        std::string got;
        std::thread killed([&got] {
            tc_set_killed(1);
            got = read("domid");
        });
        killed.join();
        EXPECT_EQ(got, err(-EINTR));
        m_host.pause(false);
        EXPECT_EQ(read("name"), "guest");
    }
    EXPECT_EQ(m_host.counters().broken, 0U);
}

// The server stays paused so that no genuine reply rewrites the forged index first; the
// waiting caller is woken by the broken connection, not by a reply.
TEST_F(StoreClient, ResponseIndexBeyondTheRingBreaksTheConnection) {
    m_host.pause(true);
    m_host.on_page([](xenstore_domain_interface& p) {
        __atomic_store_n(&p.rsp_prod, p.rsp_cons + 5000U, __ATOMIC_SEQ_CST);
    });
    tc_irq();
    EXPECT_EQ(read("domid"), err(-EIO));
    m_host.pause(false);
    EXPECT_EQ(tc_write(0, "data/y", "1"), -EIO);
}

TEST_F(StoreClient, OversizedMessageBreaksTheConnection) {
    m_host.pause(true);
    m_host.on_page([](xenstore_domain_interface& p) {
        const xsd_sockmsg m{XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
        std::array<char, sizeof m> bytes{};
        std::memcpy(bytes.data(), &m, sizeof m);
        const std::uint32_t prod = p.rsp_prod;
        for (std::uint32_t i = 0; i < sizeof m; i++)
            p.rsp[MASK_XENSTORE_IDX(prod + i)] = bytes[i];
        __atomic_store_n(&p.rsp_prod, prod + std::uint32_t{sizeof m}, __ATOMIC_SEQ_CST);
    });
    tc_irq();
    EXPECT_EQ(read("domid"), err(-EIO));
    m_host.pause(false);
    EXPECT_EQ(tc_write(0, "data/y", "1"), -EIO);
}

} // namespace
