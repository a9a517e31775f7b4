// store_engine_test.cpp: Store semantics: nodes, permissions, watches, transactions, quotas.
#include "store.hpp"

#include <gtest/gtest.h>

namespace pvisor::store {
namespace {

using Names = std::vector<std::string>;

class StoreEngineTest : public ::testing::Test {
  protected:
    explicit StoreEngineTest(StoreLimits limits = {}) : store(limits) {}
    void SetUp() override {
        ASSERT_TRUE(store.introduce_domain(1, "guest1").ok());
        ASSERT_TRUE(store.introduce_domain(2, "guest2").ok());
        dom0 = store.connect(0);
        g1 = store.connect(1);
        g2 = store.connect(2);
    }
    std::vector<WatchEvent> events(ConnId c) {
        std::vector<WatchEvent> out;
        while (auto ev = store.pop_event(c))
            out.push_back(*ev);
        return out;
    }
    Store store;
    ConnId dom0 = 0, g1 = 0, g2 = 0;
};

TEST_F(StoreEngineTest, WriteCreatesParentsAndReadReturnsValue) {
    ASSERT_TRUE(store.write(dom0, 0, "/a/b/c", "v1").ok());
    EXPECT_EQ(*store.read(dom0, 0, "/a/b/c"), "v1");
    EXPECT_EQ(*store.read(dom0, 0, "/a/b"), "");
    EXPECT_EQ(store.read(dom0, 0, "/a/x").error(), XsErr::enoent);
    EXPECT_EQ(*store.directory(dom0, 0, "/a"), Names{"b"});
}

// As xenstored (add_child appends, delete_child removes): children in creation order.
TEST_F(StoreEngineTest, DirectoryListsOnlyDirectChildrenInCreationOrder) {
    for (const char* p : {"/d/b", "/d/a/x", "/d/a-z", "/d/c/y/z", "/dd"})
        ASSERT_TRUE(store.write(dom0, 0, p, "").ok());
    EXPECT_EQ(*store.directory(dom0, 0, "/d"), (Names{"b", "a", "a-z", "c"}));
    ASSERT_TRUE(store.rm(dom0, 0, "/d/b").ok());
    ASSERT_TRUE(store.mkdir(dom0, 0, "/d/b").ok());
    EXPECT_EQ(*store.directory(dom0, 0, "/d"), (Names{"a", "a-z", "c", "b"}));
}

// The root's listing holds no empty name ("/" is the first key of its own key range);
// xenstore-ls recursed on it forever.
TEST_F(StoreEngineTest, RootListsItsChildrenOnly) {
    ASSERT_TRUE(store.write(dom0, 0, "/z", "").ok());
    EXPECT_EQ(*store.directory(dom0, 0, "/"), (Names{"tool", "local", "z"}));
}

// What a dom0-only xenstored holds after xen-init-dom0 (setup_structure(), xen-init-dom0.c),
// all "n0": guests cannot list /local/domain.
TEST_F(StoreEngineTest, InitialTreeIsXenstoredsAfterDom0Setup) {
    Store fresh;
    const ConnId c = fresh.connect(0);
    EXPECT_EQ(*fresh.directory(c, 0, "/tool"), Names{"xenstored"});
    EXPECT_EQ(*fresh.directory(c, 0, "/local/domain"), Names{"0"});
    EXPECT_EQ(*fresh.directory(c, 0, "/local/domain/0"), (Names{"domid", "name"}));
    EXPECT_EQ(*fresh.read(c, 0, "/local/domain/0/name"), "Domain-0");
    EXPECT_EQ(*fresh.read(c, 0, "/local/domain/0/domid"), "0");
    for (const char* p : {"/", "/tool", "/tool/xenstored", "/local", "/local/domain",
                          "/local/domain/0", "/local/domain/0/name"})
        EXPECT_EQ(*fresh.get_perms(c, 0, p), Perms()) << p;
    EXPECT_EQ(store.directory(g1, 0, "/local/domain").error(), XsErr::eacces);
}

TEST_F(StoreEngineTest, MkdirIsIdempotentAndRmIsRecursive) {
    ASSERT_TRUE(store.mkdir(dom0, 0, "/m/n").ok());
    ASSERT_TRUE(store.mkdir(dom0, 0, "/m/n").ok());
    ASSERT_TRUE(store.write(dom0, 0, "/m/n/o/p", "x").ok());
    ASSERT_TRUE(store.write(dom0, 0, "/m-keep", "k").ok());
    ASSERT_TRUE(store.rm(dom0, 0, "/m").ok());
    EXPECT_EQ(store.read(dom0, 0, "/m/n/o/p").error(), XsErr::enoent);
    EXPECT_EQ(store.read(dom0, 0, "/m").error(), XsErr::enoent);
    EXPECT_EQ(*store.read(dom0, 0, "/m-keep"), "k");
    EXPECT_TRUE(store.rm(dom0, 0, "/m").ok()); // gone, parent exists: fine (as Xen)
    EXPECT_EQ(store.rm(dom0, 0, "/m/n/o").error(), XsErr::enoent);
    EXPECT_EQ(store.rm(dom0, 0, "/").error(), XsErr::einval);
}

TEST_F(StoreEngineTest, InvalidPathsAreEinval) {
    for (const char* p : {"", "/a//b", "/a/", "/a b", "@x", "/a\xff"})
        EXPECT_EQ(store.write(dom0, 0, p, "v").error(), XsErr::einval) << p;
    EXPECT_EQ(store.write(dom0, 0, std::string(3073, 'a').insert(0, "/"), "v").error(),
              XsErr::einval);
    EXPECT_EQ(store.read(g1, 0, std::string(2049, 'a')).error(), XsErr::einval);
}

TEST_F(StoreEngineTest, DomainIsPrepopulated) {
    EXPECT_EQ(*store.read(dom0, 0, "/local/domain/1/name"), "guest1");
    EXPECT_EQ(*store.read(dom0, 0, "/local/domain/1/domid"), "1");
    EXPECT_EQ(*store.read(g1, 0, "control/feature-poweroff"), "1");
    EXPECT_EQ(*store.get_perms(dom0, 0, "/local/domain/1"), Perms::owned_by(1));
    EXPECT_EQ(store.introduce_domain(1, "again").error(), XsErr::eexist);
    // The guest may read but not rewrite its name.
    EXPECT_EQ(store.write(g1, 0, "name", "evil").error(), XsErr::eacces);
    // It may ack a shutdown request.
    EXPECT_TRUE(store.write(g1, 0, "control/shutdown", "").ok());
}

TEST_F(StoreEngineTest, RelativePathsResolveUnderTheDomain) {
    ASSERT_TRUE(store.write(g1, 0, "data/k", "v").ok());
    EXPECT_EQ(*store.read(dom0, 0, "/local/domain/1/data/k"), "v");
    EXPECT_EQ(*store.read(g1, 0, "/local/domain/1/data/k"), "v");
    // The guest owns what it creates.
    EXPECT_EQ(store.get_perms(g1, 0, "data/k")->owner(), 1);
}

TEST_F(StoreEngineTest, GuestCannotReadAnotherGuestsSubtreeButDom0Can) {
    ASSERT_TRUE(store.write(g2, 0, "data/secret", "s").ok());
    EXPECT_EQ(store.read(g1, 0, "/local/domain/2/data/secret").error(), XsErr::eacces);
    EXPECT_EQ(store.directory(g1, 0, "/local/domain/2").error(), XsErr::eacces);
    EXPECT_EQ(store.write(g1, 0, "/local/domain/2/data/x", "x").error(), XsErr::eacces);
    EXPECT_EQ(store.rm(g1, 0, "/local/domain/2/data").error(), XsErr::eacces);
    // Missing nodes under an unreadable parent do not leak: EACCES, not ENOENT.
    EXPECT_EQ(store.read(g1, 0, "/local/domain/2/nope").error(), XsErr::eacces);
    // As xenstored, /local/domain is "n0": which domains exist does not leak either.
    EXPECT_EQ(store.read(g1, 0, "/local/domain/9/nope").error(), XsErr::eacces);
    EXPECT_EQ(*store.read(dom0, 0, "/local/domain/2/data/secret"), "s");
    EXPECT_EQ(store.read(g1, 0, "/local/domain/1/nope").error(), XsErr::enoent);
}

TEST_F(StoreEngineTest, SetPermsGrantsReadAndOnlyDom0ChangesOwner) {
    ASSERT_TRUE(store.write(g2, 0, "data/shared", "hello").ok());
    EXPECT_EQ(store.set_perms(g1, 0, "/local/domain/2/data/shared", Perms(1, Access::none)).error(),
              XsErr::eacces);
    EXPECT_EQ(store.set_perms(g2, 0, "data/shared", Perms(1, Access::none)).error(), XsErr::eperm);
    ASSERT_TRUE(
        store.set_perms(g2, 0, "data/shared", Perms(2, Access::none).grant(1, Access::read)).ok());
    EXPECT_EQ(*store.read(g1, 0, "/local/domain/2/data/shared"), "hello");
    EXPECT_EQ(store.write(g1, 0, "/local/domain/2/data/shared", "x").error(), XsErr::eacces);
    ASSERT_TRUE(
        store.set_perms(dom0, 0, "/local/domain/2/data/shared", Perms(1, Access::none)).ok());
    EXPECT_TRUE(store.write(g1, 0, "/local/domain/2/data/shared", "mine").ok());
    EXPECT_EQ(store.read(g2, 0, "data/shared").error(), XsErr::eacces);
}

TEST_F(StoreEngineTest, PermsWireForm) {
    auto p = Perms::parse({"n5", "r0", "b7", "w65535"});
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->to_wire(), std::string("n5\0r0\0b7\0w65535\0", 16));
    EXPECT_EQ(p->access_for(5), Access::both);
    EXPECT_EQ(p->access_for(7), Access::both);
    EXPECT_EQ(p->access_for(65535), Access::write);
    EXPECT_EQ(p->access_for(3), Access::none);
    for (const char* bad : {"x1", "r", "r-1", "r65536", "r1a", ""})
        EXPECT_EQ(Perms::parse({bad}).error(), XsErr::einval) << bad;
}

TEST_F(StoreEngineTest, WatchFiresOnceAtRegistrationAndOnChangesBelow) {
    ASSERT_TRUE(store.watch(dom0, "/w", "tok").ok());
    EXPECT_EQ(events(dom0), (std::vector<WatchEvent>{{"/w", "tok"}}));
    ASSERT_TRUE(store.write(g1, 0, "data/x", "1").ok()); // elsewhere: no event
    EXPECT_TRUE(events(dom0).empty());
    ASSERT_TRUE(store.write(dom0, 0, "/w/a/b", "1").ok());
    ASSERT_TRUE(store.write(dom0, 0, "/w", "2").ok());
    ASSERT_TRUE(store.write(dom0, 0, "/wx", "2").ok()); // sibling with common prefix: no event
    EXPECT_EQ(events(dom0), (std::vector<WatchEvent>{{"/w/a/b", "tok"}, {"/w", "tok"}}));
    ASSERT_TRUE(store.unwatch(dom0, "/w", "tok").ok());
    EXPECT_EQ(store.unwatch(dom0, "/w", "tok").error(), XsErr::enoent);
    ASSERT_TRUE(store.write(dom0, 0, "/w", "3").ok());
    EXPECT_TRUE(events(dom0).empty());
}

TEST_F(StoreEngineTest, RemovingAnAncestorFiresWatchesBelowIt) {
    ASSERT_TRUE(store.write(dom0, 0, "/r/a/b", "1").ok());
    ASSERT_TRUE(store.watch(dom0, "/r/a/b", "deep").ok());
    ASSERT_TRUE(store.watch(dom0, "/r", "top").ok());
    (void)events(dom0);
    ASSERT_TRUE(store.rm(dom0, 0, "/r/a").ok());
    EXPECT_EQ(events(dom0), (std::vector<WatchEvent>{{"/r/a/b", "deep"}, {"/r/a", "top"}}));
}

// As xenstored's rm (rm_node -> walk_node_tree -> delnode_sub): one event per removed node,
// children before parents in creation order; the removed root fires watches at or above it,
// a node below it only a watch on exactly that node; a watched node that never existed
// does not fire.
TEST_F(StoreEngineTest, RemovalFiresPerRemovedNodeChildrenFirst) {
    ASSERT_TRUE(store.write(dom0, 0, "/r/b/x", "1").ok());
    ASSERT_TRUE(store.write(dom0, 0, "/r/a", "1").ok());
    for (const char* w : {"/", "/r", "/r/a", "/r/b", "/r/b/x", "/r/b/ghost"})
        ASSERT_TRUE(store.watch(dom0, w, w).ok());
    (void)events(dom0);
    ASSERT_TRUE(store.rm(dom0, 0, "/r").ok());
    EXPECT_EQ(
        events(dom0),
        (std::vector<WatchEvent>{
            {"/r/b/x", "/r/b/x"}, {"/r/b", "/r/b"}, {"/r/a", "/r/a"}, {"/r", "/"}, {"/r", "/r"}}));
}

TEST_F(StoreEngineTest, RemovalInATransactionFiresTheSameAtCommit) {
    ASSERT_TRUE(store.write(dom0, 0, "/r/a", "1").ok());
    ASSERT_TRUE(store.watch(dom0, "/r/a", "a").ok());
    ASSERT_TRUE(store.watch(dom0, "/r/a/ghost", "g").ok());
    (void)events(dom0);
    auto tx = store.transaction_start(dom0);
    ASSERT_TRUE(store.rm(dom0, *tx, "/r").ok());
    EXPECT_TRUE(events(dom0).empty());
    ASSERT_TRUE(store.transaction_end(dom0, *tx, true).ok());
    EXPECT_EQ(events(dom0), (std::vector<WatchEvent>{{"/r/a", "a"}}));
}

TEST_F(StoreEngineTest, ReleaseDomainFiresPerRemovedNode) {
    ASSERT_TRUE(store.watch(dom0, "/local/domain/2/data", "data").ok());
    ASSERT_TRUE(store.watch(dom0, "/local/domain/2/nothing", "none").ok());
    (void)events(dom0);
    ASSERT_TRUE(store.release_domain(2).ok());
    EXPECT_EQ(events(dom0), (std::vector<WatchEvent>{{"/local/domain/2/data", "data"}}));
}

// Commit puts nodes back with their creation numbers: the order survives a transaction.
TEST_F(StoreEngineTest, TransactionKeepsChildOrder) {
    ASSERT_TRUE(store.write(dom0, 0, "/o/z", "").ok());
    auto tx = store.transaction_start(dom0);
    ASSERT_TRUE(store.write(dom0, *tx, "/o/b", "").ok());
    ASSERT_TRUE(store.write(dom0, *tx, "/o/a", "").ok());
    ASSERT_TRUE(store.transaction_end(dom0, *tx, true).ok());
    ASSERT_TRUE(store.write(dom0, 0, "/o/c", "").ok());
    EXPECT_EQ(*store.directory(dom0, 0, "/o"), (Names{"z", "b", "a", "c"}));
}

// As xenstored's do_mkdir (get_node with XS_PERM_WRITE): an existing node is fine only for
// a caller who may write it.
TEST_F(StoreEngineTest, MkdirOfAnExistingNodeNeedsWriteAccess) {
    EXPECT_EQ(store.mkdir(g1, 0, "name").error(), XsErr::eacces); // readable, not writable
    EXPECT_TRUE(store.mkdir(g1, 0, "data").ok());
    EXPECT_TRUE(store.mkdir(dom0, 0, "/local/domain/1/name").ok());
}

// As xenstored's do_set_perms (domain_alloc_permrefs): an owner that is not an existing
// domain is ENOENT, for the control domain too.
TEST_F(StoreEngineTest, SetPermsOwnerMustBeAnExistingDomain) {
    ASSERT_TRUE(store.write(dom0, 0, "/p", "").ok());
    EXPECT_EQ(store.set_perms(dom0, 0, "/p", Perms(7, Access::read)).error(), XsErr::enoent);
    EXPECT_TRUE(store.set_perms(dom0, 0, "/p", Perms(0, Access::none).grant(7, Access::read)).ok());
    EXPECT_TRUE(store.set_perms(dom0, 0, "/p", Perms(2, Access::read)).ok());
    ASSERT_TRUE(store.release_domain(2).ok());
    EXPECT_EQ(store.set_perms(dom0, 0, "/p", Perms(2, Access::read)).error(), XsErr::enoent);
}

// As xenstored's is_valid_nodename: XENSTORE_REL_PATH_MAX bytes after "/local/domain/<id>/"
// below it, for the whole path elsewhere.
TEST_F(StoreEngineTest, PathLengthLimitIsXenstoreds) {
    const std::string top = "/" + std::string(2047, 't');
    EXPECT_TRUE(store.write(dom0, 0, top, "").ok());
    EXPECT_EQ(store.write(dom0, 0, top + "t", "").error(), XsErr::einval);
    const std::string home = "/local/domain/12345/" + std::string(2048, 'h');
    EXPECT_TRUE(store.write(dom0, 0, home, "").ok());
    EXPECT_EQ(store.write(dom0, 0, home + "h", "").error(), XsErr::einval);
    // Six digits are no domain id: the whole path counts.
    EXPECT_EQ(store.write(dom0, 0, "/local/domain/123456/" + std::string(2040, 'h'), "").error(),
              XsErr::einval);
    EXPECT_TRUE(store.write(g1, 0, std::string(2048, 'r'), "").ok());
    EXPECT_EQ(store.write(g1, 0, std::string(2049, 'r'), "").error(), XsErr::einval);
}

// As xenstored's do_unwatch: a path no watch could be on is not found, not invalid.
TEST_F(StoreEngineTest, UnwatchOfAnInvalidPathIsEnoent) {
    EXPECT_EQ(store.unwatch(dom0, "/a//b", "t").error(), XsErr::enoent);
    EXPECT_EQ(store.unwatch(dom0, "", "t").error(), XsErr::enoent);
}

// The toolstack's nodes: missing parents inherit their parent's permissions, as xenstored
// creates them for libxl; only the node itself fires.
TEST_F(StoreEngineTest, ToolstackParentsInheritAndDoNotFire) {
    ASSERT_TRUE(store.watch(dom0, "/local/domain/0/backend/vbd", "w").ok());
    (void)events(dom0);
    ASSERT_TRUE(store.add_device(1, "vbd", 51712).ok());
    EXPECT_EQ(*store.get_perms(dom0, 0, "/local/domain/0/backend"), Perms());
    EXPECT_EQ(*store.get_perms(dom0, 0, "/local/domain/0/backend/vbd/1"), Perms());
    EXPECT_EQ(*store.get_perms(dom0, 0, "/local/domain/0/backend/vbd/1/51712"),
              Perms(0, Access::none).grant(1, Access::read));
    EXPECT_EQ(store.directory(g1, 0, "/local/domain/0/backend/vbd").error(), XsErr::eacces);
    const auto ev = events(dom0);
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.front().path, "/local/domain/0/backend/vbd/1/51712");
}

TEST_F(StoreEngineTest, RelativeWatchReportsRelativePathsAndRespectsPerms) {
    ASSERT_TRUE(store.watch(g1, "device", "dev").ok());
    ASSERT_TRUE(store.watch(g1, "/local/domain/2", "spy").ok());
    EXPECT_EQ(events(g1), (std::vector<WatchEvent>{{"device", "dev"}, {"/local/domain/2", "spy"}}));
    ASSERT_TRUE(store.write(dom0, 0, "/local/domain/1/device/vif/0/state", "1").ok());
    ASSERT_TRUE(store.write(g2, 0, "data/private", "p").ok());
    EXPECT_EQ(events(g1), (std::vector<WatchEvent>{{"device/vif/0/state", "dev"}}));
}

TEST_F(StoreEngineTest, SpecialWatchesFireOnIntroduceAndRelease) {
    ASSERT_TRUE(store.watch(dom0, "@introduceDomain", "i").ok());
    ASSERT_TRUE(store.watch(dom0, "@releaseDomain", "r").ok());
    // As xenstored's check_watch_path: any '@' name up to XENSTORE_REL_PATH_MAX.
    EXPECT_TRUE(store.watch(dom0, "@odd/name x", "r").ok());
    EXPECT_EQ(store.watch(dom0, "@" + std::string(2048, 'x'), "r").error(), XsErr::einval);
    (void)events(dom0);
    ASSERT_TRUE(store.introduce_domain(3, "g3").ok());
    ASSERT_TRUE(store.add_device(3, "vbd", 51712).ok());
    ASSERT_TRUE(store.release_domain(3).ok());
    const auto ev = events(dom0);
    ASSERT_EQ(ev.size(), 2U);
    EXPECT_EQ(ev[0], (WatchEvent{"@introduceDomain", "i"}));
    EXPECT_EQ(ev[1], (WatchEvent{"@releaseDomain", "r"}));
    EXPECT_EQ(store.read(dom0, 0, "/local/domain/3").error(), XsErr::enoent);
    EXPECT_EQ(store.read(dom0, 0, "/local/domain/0/backend/vbd/3").error(), XsErr::enoent);
    EXPECT_EQ(store.release_domain(3).error(), XsErr::enoent);
}

TEST_F(StoreEngineTest, AddDeviceCreatesBothEndsWithHandshakeKeys) {
    ASSERT_TRUE(store.add_device(1, "vbd", 51712).ok());
    EXPECT_EQ(*store.read(g1, 0, "device/vbd/51712/backend"),
              "/local/domain/0/backend/vbd/1/51712");
    EXPECT_EQ(*store.read(g1, 0, "device/vbd/51712/state"), "1");
    EXPECT_EQ(*store.read(g1, 0, "/local/domain/0/backend/vbd/1/51712/state"), "1");
    EXPECT_EQ(store.write(g1, 0, "/local/domain/0/backend/vbd/1/51712/state", "4").error(),
              XsErr::eacces);
    EXPECT_TRUE(store.write(g1, 0, "device/vbd/51712/state", "3").ok());
    EXPECT_EQ(store.read(g2, 0, "/local/domain/0/backend/vbd/1/51712/state").error(),
              XsErr::eacces);
    EXPECT_EQ(store.add_device(1, "vbd", 51712).error(), XsErr::eexist);
}

TEST_F(StoreEngineTest, TransactionIsPrivateUntilCommit) {
    auto tx = store.transaction_start(g1);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(store.write(g1, *tx, "data/t", "in-tx").ok());
    EXPECT_EQ(*store.read(g1, *tx, "data/t"), "in-tx");
    EXPECT_EQ(store.read(g1, 0, "data/t").error(), XsErr::enoent);
    ASSERT_TRUE(store.transaction_end(g1, *tx, true).ok());
    EXPECT_EQ(*store.read(g1, 0, "data/t"), "in-tx");
    EXPECT_EQ(store.transaction_end(g1, *tx, true).error(), XsErr::enoent);
    EXPECT_EQ(store.read(g1, 12345, "data/t").error(), XsErr::enoent);
}

TEST_F(StoreEngineTest, ConflictingCommitIsEagainAndLoserWritesInvisible) {
    ASSERT_TRUE(store.write(dom0, 0, "/c/x", "0").ok());
    auto t1 = store.transaction_start(dom0);
    auto t2 = store.transaction_start(g1);
    ASSERT_TRUE(t1.ok() && t2.ok());
    ASSERT_TRUE(store.watch(dom0, "/c", "w").ok());
    (void)events(dom0);
    EXPECT_EQ(*store.read(dom0, *t1, "/c/x"), "0");
    ASSERT_TRUE(store.write(dom0, *t1, "/c/x", "t1").ok());
    ASSERT_TRUE(store.write(dom0, *t1, "/c/new/deep", "n").ok());
    ASSERT_TRUE(store.write(g1, *t2, "data/loser", "l").ok());
    // A plain write to a node t1 read: t1 must fail.
    ASSERT_TRUE(store.write(dom0, 0, "/c/x", "outside").ok());
    EXPECT_EQ(events(dom0).size(), 1U);
    EXPECT_EQ(store.transaction_end(dom0, *t1, true).error(), XsErr::eagain);
    EXPECT_EQ(*store.read(dom0, 0, "/c/x"), "outside");
    EXPECT_EQ(store.read(dom0, 0, "/c/new").error(), XsErr::enoent);
    EXPECT_TRUE(events(dom0).empty()); // nothing of t1 fired
    EXPECT_EQ(store.counters().tx_conflicts, 1U);
    // t2 touched nothing that changed.
    EXPECT_TRUE(store.transaction_end(g1, *t2, true).ok());
    EXPECT_EQ(*store.read(g1, 0, "data/loser"), "l");
}

TEST_F(StoreEngineTest, TwoTransactionsCreatingSiblingsConflict) {
    auto t1 = store.transaction_start(g1);
    auto t2 = store.transaction_start(g1);
    ASSERT_TRUE(store.write(g1, *t1, "data/a", "1").ok());
    ASSERT_TRUE(store.write(g1, *t2, "data/b", "2").ok());
    EXPECT_TRUE(store.transaction_end(g1, *t1, true).ok());
    EXPECT_EQ(store.transaction_end(g1, *t2, true).error(), XsErr::eagain);
    EXPECT_EQ(*store.directory(g1, 0, "data"), Names{"a"});
}

TEST_F(StoreEngineTest, AbortDiscardsAndCommitFiresWatches) {
    ASSERT_TRUE(store.watch(dom0, "/local/domain/1/data", "w").ok());
    (void)events(dom0);
    auto t1 = store.transaction_start(g1);
    ASSERT_TRUE(store.write(g1, *t1, "data/gone", "x").ok());
    ASSERT_TRUE(store.transaction_end(g1, *t1, false).ok());
    EXPECT_EQ(store.read(g1, 0, "data/gone").error(), XsErr::enoent);
    auto t2 = store.transaction_start(g1);
    ASSERT_TRUE(store.write(g1, *t2, "data/kept", "x").ok());
    ASSERT_TRUE(store.rm(g1, *t2, "data/kept").ok());
    ASSERT_TRUE(store.write(g1, *t2, "data/final", "y").ok());
    EXPECT_TRUE(events(dom0).empty());
    ASSERT_TRUE(store.transaction_end(g1, *t2, true).ok());
    EXPECT_EQ(store.read(g1, 0, "data/kept").error(), XsErr::enoent);
    EXPECT_EQ(events(dom0).size(), 3U);
}

TEST_F(StoreEngineTest, TransactionRmRemovesSubtreeOnCommit) {
    ASSERT_TRUE(store.write(g1, 0, "data/s/a/b", "1").ok());
    const auto before = store.node_count();
    auto tx = store.transaction_start(g1);
    ASSERT_TRUE(store.rm(g1, *tx, "data/s").ok());
    EXPECT_EQ(*store.read(g1, 0, "data/s/a/b"), "1");
    ASSERT_TRUE(store.transaction_end(g1, *tx, true).ok());
    EXPECT_EQ(store.read(g1, 0, "data/s/a/b").error(), XsErr::enoent);
    EXPECT_EQ(store.node_count(), before - 3);
}

StoreLimits small_limits() {
    StoreLimits l;
    l.nodes_per_domain = 12;
    l.value_bytes = 8;
    l.watches_per_conn = 2;
    l.transactions_per_conn = 1;
    l.perms_per_node = 2;
    l.pending_events_per_conn = 3;
    return l;
}

class StoreQuotaTest : public StoreEngineTest {
  protected:
    StoreQuotaTest() : StoreEngineTest(small_limits()) {}
};

TEST_F(StoreQuotaTest, NodeQuotaIsEnospcForGuestsOnly) {
    // introduce_domain gave domain 1 four nodes (its dir, device, data... owned by it).
    std::size_t created = 0;
    XsStatus st;
    for (int i = 0; i < 20 && st.ok(); ++i) {
        st = store.write(g1, 0, "data/n" + std::to_string(i), "");
        created += st.ok() ? 1U : 0U;
    }
    EXPECT_EQ(st.error(), XsErr::enospc);
    EXPECT_LT(created, 12U);
    EXPECT_EQ(store.write(g1, 0, "data/deep/a/b", "").error(), XsErr::enospc);
    EXPECT_TRUE(store.write(dom0, 0, "/dom0/a/b/c/d/e/f/g/h/i/j/k/l/m", "").ok());
}

TEST_F(StoreQuotaTest, ValueWatchTransactionAndPermQuotas) {
    EXPECT_TRUE(store.write(g1, 0, "data/v", "12345678").ok());
    EXPECT_EQ(store.write(g1, 0, "data/v", "123456789").error(), XsErr::enospc);
    EXPECT_TRUE(store.write(dom0, 0, "/big", "123456789").ok());
    EXPECT_TRUE(store.watch(g1, "a", "1").ok());
    EXPECT_EQ(store.watch(g1, "a", "1").error(), XsErr::eexist);
    EXPECT_TRUE(store.watch(g1, "b", "1").ok());
    EXPECT_EQ(store.watch(g1, "c", "1").error(), XsErr::e2big);
    auto tx = store.transaction_start(g1);
    EXPECT_TRUE(tx.ok());
    EXPECT_EQ(store.transaction_start(g1).error(), XsErr::enospc);
    EXPECT_TRUE(store.transaction_end(g1, *tx, false).ok());
    EXPECT_TRUE(store.transaction_start(g1).ok());
    Perms three = Perms(1, Access::none).grant(2, Access::read).grant(3, Access::read);
    EXPECT_EQ(store.set_perms(g1, 0, "data/v", three).error(), XsErr::enospc);
}

// As xenstored's domain_watch(): the watch quota is for unprivileged domains only.
TEST_F(StoreQuotaTest, ControlDomainHasNoWatchQuota) {
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(store.watch(dom0, "/w" + std::to_string(i), "t").ok()) << i;
}

TEST_F(StoreQuotaTest, PendingEventsAreBoundedAndDropsCounted) {
    ASSERT_TRUE(store.watch(dom0, "/q", "t").ok());
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(store.write(dom0, 0, "/q", std::to_string(i)).ok());
    EXPECT_EQ(events(dom0).size(), 3U);
    EXPECT_EQ(store.counters().events_dropped, 8U);
}

TEST_F(StoreEngineTest, DisconnectDropsWatchesAndTransactions) {
    const ConnId c = store.connect(1);
    ASSERT_TRUE(store.watch(c, "data", "t").ok());
    auto tx = store.transaction_start(c);
    ASSERT_TRUE(tx.ok());
    store.disconnect(c);
    EXPECT_EQ(store.read(c, 0, "data").error(), XsErr::einval);
    ASSERT_TRUE(store.write(g1, 0, "data/after", "x").ok());
    EXPECT_FALSE(store.has_events(c));
}

} // namespace
} // namespace pvisor::store
