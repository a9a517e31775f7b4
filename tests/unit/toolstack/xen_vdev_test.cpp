// xen_vdev_test.cpp: Xen's disk names and numbers (xen-vbd-interface(7), libxl's decoder).
#include "xen_vdev.hpp"

#include <gtest/gtest.h>

namespace pvisor::toolstack {
namespace {

XenVdev decode(std::string_view name) {
    auto r = decode_xen_vdev(name);
    EXPECT_TRUE(r.ok()) << name;
    return r.ok() ? *r : XenVdev{};
}

void expect(std::string_view name, VdevKind kind, std::uint32_t disk, std::uint32_t partition,
            std::uint32_t devid) {
    const XenVdev v = decode(name);
    EXPECT_EQ(v.kind, kind) << name;
    EXPECT_EQ(v.disk, disk) << name;
    EXPECT_EQ(v.partition, partition) << name;
    EXPECT_EQ(v.devid, devid) << name;
}

TEST(XenVdev, XenVirtualDisks) {
    expect("xvda", VdevKind::xvd, 0, 0, 51712);
    expect("xvdb", VdevKind::xvd, 1, 0, 51728);
    expect("xvdp", VdevKind::xvd, 15, 0, (202U << 8) | (15U << 4));
    expect("xvdq", VdevKind::xvd, 16, 0, (1U << 28) | (16U << 8));
    expect("xvdz", VdevKind::xvd, 25, 0, (1U << 28) | (25U << 8));
    expect("xvdaa", VdevKind::xvd, 26, 0, (1U << 28) | (26U << 8));
    expect("xvdzz", VdevKind::xvd, 701, 0, (1U << 28) | (701U << 8));
    expect("xvdaaa", VdevKind::xvd, 702, 0, (1U << 28) | (702U << 8));
    expect("xvdb2", VdevKind::xvd, 1, 2, 51730);
    expect("xvda16", VdevKind::xvd, 0, 16, (1U << 28) | 16U);
    expect("xvdtq37", VdevKind::xvd, 536, 37, (1U << 28) | (536U << 8) | 37U);
    expect("xvda255", VdevKind::xvd, 0, 255, (1U << 28) | 255U);
    // The largest disk: 2^20 - 1 is "xvdbgqcv".
    expect("xvdbgqcv", VdevKind::xvd, (1U << 20) - 1, 0, (1U << 28) | (((1U << 20) - 1) << 8));
}

TEST(XenVdev, NumberedForm) {
    expect("d0", VdevKind::xvd, 0, 0, 51712);
    expect("d0p0", VdevKind::xvd, 0, 0, 51712);
    expect("d1p2", VdevKind::xvd, 1, 2, 51730);
    expect("d536p37", VdevKind::xvd, 536, 37, (1U << 28) | (536U << 8) | 37U);
    expect("d1048575", VdevKind::xvd, 1048575, 0, (1U << 28) | (1048575U << 8));
}

TEST(XenVdev, ScsiAndIde) {
    expect("sda", VdevKind::scsi, 0, 0, 8U << 8);
    expect("sdb3", VdevKind::scsi, 1, 3, (8U << 8) | (1U << 4) | 3U);
    expect("sdp15", VdevKind::scsi, 15, 15, (8U << 8) | (15U << 4) | 15U);
    expect("hda", VdevKind::ide, 0, 0, 3U << 8);
    expect("hdb1", VdevKind::ide, 1, 1, (3U << 8) | (1U << 6) | 1U);
    expect("hdc2", VdevKind::ide, 2, 2, (22U << 8) | 2U);
    expect("hdd63", VdevKind::ide, 3, 63, (22U << 8) | (1U << 6) | 63U);
}

TEST(XenVdev, RawNumbersAreClassifiedByTheirForm) {
    expect("51712", VdevKind::xvd, 0, 0, 51712);
    expect("0xca10", VdevKind::xvd, 1, 0, 0xca10);
    expect("0145000", VdevKind::xvd, 0, 0, 51712); // octal
    expect("268435456", VdevKind::xvd, 0, 0, 1U << 28);
    expect("268441856", VdevKind::xvd, 25, 0, (1U << 28) | (25U << 8));
    expect("2048", VdevKind::scsi, 0, 0, 2048);
    expect("768", VdevKind::ide, 0, 0, 768);
    expect("5632", VdevKind::ide, 2, 0, 5632);
    expect("0", VdevKind::other, 0, 0, 0);
    expect("536870912", VdevKind::other, 0, 0, 2U << 28); // reserved
    expect("2147483647", VdevKind::other, 0, 0, 2147483647U);
}

TEST(XenVdev, NotNames) {
    for (const char* n : {"",
                          "xvd",
                          "xvd0",
                          "xvdA",
                          "xvda0",
                          "xvda01",
                          "xvda256",
                          "xvda-1",
                          "xvda+1",
                          "xvda 1",
                          " xvda",
                          "xvdbgqcw",
                          "xvdzzzzzzzzzzzzzzzzzzzzzzz",
                          "d",
                          "dp1",
                          "d01",
                          "d1p",
                          "d1p01",
                          "d1p256",
                          "d1048576",
                          "d-1",
                          "d1x",
                          "sdq",
                          "sda16",
                          "sdz9",
                          "hde",
                          "hda64",
                          "hd",
                          "sd",
                          "vda",
                          "2147483648",
                          "0x80000000",
                          "99999999999999999999",
                          "0x",
                          "08",
                          "12abc",
                          "-1",
                          "xvda\n"}) {
        EXPECT_FALSE(decode_xen_vdev(n).ok()) << n;
    }
}

TEST(XenVdev, Names) {
    EXPECT_EQ(xvd_name(0), "xvda");
    EXPECT_EQ(xvd_name(15), "xvdp");
    EXPECT_EQ(xvd_name(25), "xvdz");
    EXPECT_EQ(xvd_name(26), "xvdaa");
    EXPECT_EQ(xvd_name(701), "xvdzz");
    EXPECT_EQ(xvd_name(702), "xvdaaa");
    EXPECT_EQ(xvd_name((1U << 20) - 1), "xvdbgqcv");
    EXPECT_EQ(xvd_devid(0), 51712U);
    EXPECT_EQ(xvd_devid(15), 51952U);
    EXPECT_EQ(xvd_devid(16), (1U << 28) | (16U << 8));
    for (std::uint32_t d = 0; d < 2000; ++d) {
        const XenVdev v = decode(xvd_name(d));
        EXPECT_EQ(v.disk, d);
        EXPECT_EQ(v.devid, xvd_devid(d));
    }
}

} // namespace
} // namespace pvisor::toolstack
