// store_snapshot_test.cpp: Store::snapshot/restore keep the tree, domains, perms and watches;
// damaged snapshots are refused whole.
#include "store.hpp"

#include <gtest/gtest.h>

namespace pvisor::store {
namespace {

class StoreSnapshotTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(store.introduce_domain(3, "web").ok());
        dom0 = store.connect(0);
        g3 = store.connect(3);
        ASSERT_TRUE(store.write(dom0, 0, "/local/domain/3/data/x", std::string("a\0b\nc", 5)).ok());
        ASSERT_TRUE(store.write(g3, 0, "data/y", "guest").ok());
        ASSERT_TRUE(store.watch(g3, "device", "tok").ok());
        while (store.pop_event(g3)) {
        }
    }
    Store store;
    ConnId dom0 = 0, g3 = 0;
};

TEST_F(StoreSnapshotTest, RoundTripKeepsNodesPermsDomainsAndWatches) {
    const std::string snap = store.snapshot({g3});
    Store back;
    auto watches = back.restore(snap);
    ASSERT_TRUE(watches.ok());
    EXPECT_TRUE(back.domain_introduced(3));
    const ConnId d0 = back.connect(0);
    EXPECT_EQ(*back.read(d0, 0, "/local/domain/3/data/x"), std::string("a\0b\nc", 5));
    EXPECT_EQ(*back.read(d0, 0, "/local/domain/3/name"), "web");
    ASSERT_EQ(watches->size(), 1U);
    ASSERT_EQ(watches->at(3).size(), 1U);
    EXPECT_EQ(watches->at(3)[0].abs, "/local/domain/3/device");
    EXPECT_EQ(watches->at(3)[0].token, "tok");
    // Permissions survive: domain 3 still owns its data, another guest may not read it.
    const ConnId g3b = back.connect(3);
    EXPECT_EQ(*back.read(g3b, 0, "data/y"), "guest");
    const ConnId g4 = back.connect(4);
    EXPECT_EQ(back.read(g4, 0, "/local/domain/3/data/y").error(), XsErr::eacces);
    // The adopted watch fires on the next change, without a first event of its own.
    back.adopt_watches(g3b, watches->at(3));
    EXPECT_FALSE(back.pop_event(g3b).has_value());
    ASSERT_TRUE(back.write(d0, 0, "/local/domain/3/device/vbd", "").ok());
    auto ev = back.pop_event(g3b);
    ASSERT_TRUE(ev.has_value());
    EXPECT_EQ(ev->path, "device/vbd");
    EXPECT_EQ(ev->token, "tok");
}

TEST_F(StoreSnapshotTest, DamagedSnapshotIsRefusedAndChangesNothing) {
    const std::string snap = store.snapshot({g3});
    Store back;
    const ConnId d0 = back.connect(0);
    ASSERT_TRUE(back.write(d0, 0, "/keep", "1").ok());
    for (std::size_t cut : {std::size_t{0}, std::size_t{7}, snap.size() / 2, snap.size() - 1}) {
        EXPECT_EQ(back.restore(snap.substr(0, cut)).error(), XsErr::einval) << cut;
    }
    std::string flipped = snap;
    flipped[8] = 9; // version
    EXPECT_EQ(back.restore(flipped).error(), XsErr::einval);
    EXPECT_EQ(back.restore(snap + "x").error(), XsErr::einval);
    EXPECT_EQ(*back.read(d0, 0, "/keep"), "1");
    EXPECT_FALSE(back.domain_introduced(3));
}

} // namespace
} // namespace pvisor::store
