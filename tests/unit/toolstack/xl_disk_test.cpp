// xl_disk_test.cpp: xl's DISKSPEC grammar: positional, key=value, deprecated forms, what
// pvisor refuses and why.
#include "xl_disk.hpp"

#include <gtest/gtest.h>

namespace pvisor::toolstack {
namespace {

DiskSpec parse(std::string_view spec) {
    std::string err;
    auto r = parse_xl_disk_spec(spec, err);
    EXPECT_TRUE(r.ok()) << spec << ": " << err;
    return r.ok() ? *r : DiskSpec{};
}

std::string error_of(std::string_view spec) {
    std::string err;
    auto r = parse_xl_disk_spec(spec, err);
    EXPECT_FALSE(r.ok()) << spec;
    if (!r.ok()) {
        EXPECT_EQ(r.error(), Errc::invalid_argument);
    }
    return err;
}

void expect(std::string_view spec, std::string_view target, std::string_view vdev, bool ro) {
    const DiskSpec d = parse(spec);
    EXPECT_EQ(d.target, target) << spec;
    EXPECT_EQ(d.vdev, vdev) << spec;
    EXPECT_EQ(d.read_only, ro) << spec;
    EXPECT_EQ(d.format, "raw") << spec;
    EXPECT_EQ(d.spec, spec);
}

TEST(XlDisk, TheManPageForms) {
    const DiskSpec d = parse("/dev/vg/guest-volume,,xvda");
    EXPECT_EQ(d.target, "/dev/vg/guest-volume");
    EXPECT_EQ(d.vdev, "xvda");
    EXPECT_EQ(d.devid, 51712U);
    EXPECT_EQ(d.disk, 0U);
    EXPECT_FALSE(d.read_only);
    EXPECT_EQ(d.format, "raw");
    EXPECT_EQ(d.spec, "/dev/vg/guest-volume,,xvda");
    expect("/dev/vg/guest-volume,raw,xvda,rw", "/dev/vg/guest-volume", "xvda", false);
    expect("format=raw, vdev=xvda, access=rw, target=/dev/vg/guest-volume", "/dev/vg/guest-volume",
           "xvda", false);
    expect("raw:/dev/vg/guest-volume,xvda,w", "/dev/vg/guest-volume", "xvda", false);
}

TEST(XlDisk, Access) {
    expect("/a,,xvda,r", "/a", "xvda", true);
    expect("/a,,xvda,ro", "/a", "xvda", true);
    expect("/a,,xvda,w", "/a", "xvda", false);
    expect("/a,,xvda,rw", "/a", "xvda", false);
    expect("/a,,xvda,", "/a", "xvda", false);
    expect("/a,,xvda,access=ro", "/a", "xvda", true);
    expect("access=r,vdev=xvda,target=/a", "/a", "xvda", true);
    expect("/a,,xvda,ro,access=r", "/a", "xvda", true); // the same again is no conflict
}

TEST(XlDisk, TargetTakesTheRestOfTheSpec) {
    expect("vdev=xvda,target=/img/a,b=c.img", "/img/a,b=c.img", "xvda", false);
    expect("vdev=xvda,target=/img/a.img,", "/img/a.img", "xvda", false); // one ',' stripped
    expect("vdev=xvda,target= /img/with space ", " /img/with space ", "xvda", false);
    // An empty positional target may be given again by name (as in xl).
    expect(",,xvda,target=/a", "/a", "xvda", false);
}

TEST(XlDisk, Vdevs) {
    EXPECT_EQ(parse("/a,,xvdb").devid, 51728U);
    EXPECT_EQ(parse("/a,,xvdp").devid, (202U << 8) | (15U << 4));
    const DiskSpec q = parse("/a,,xvdq");
    EXPECT_EQ(q.devid, (1U << 28) | (16U << 8));
    EXPECT_EQ(q.disk, 16U);
    const DiskSpec zz = parse("/a,,xvdzz");
    EXPECT_EQ(zz.devid, (1U << 28) | (701U << 8));
    EXPECT_EQ(zz.disk, 701U);
    // Other spellings of a whole xvd disk come back as its xvd name and canonical number.
    expect("/a,,d1", "/a", "xvdb", false);
    expect("/a,,d1p0", "/a", "xvdb", false);
    expect("/a,,51712", "/a", "xvda", false);
    expect("/a,,268435456", "/a", "xvda", false);
    EXPECT_EQ(parse("/a,,268435456").devid, 51712U);
    expect("/a,,0xca20", "/a", "xvdc", false);
}

TEST(XlDisk, AcceptedAndWithoutEffect) {
    expect("/a,,xvda,backendtype=phy", "/a", "xvda", false);
    expect("/a,,xvda,backendtype=qdisk", "/a", "xvda", false);
    expect("/a,,xvda,backendtype=tap,backendtype=tap", "/a", "xvda", false);
    expect("/a,,xvda,specification=xen", "/a", "xvda", false);
    expect("/a,,xvda,devtype=disk", "/a", "xvda", false);
    expect("direct-io-safe,discard,trusted,no-colo,/a,,xvda", "/a", "xvda", false);
    expect("/a,,xvda:disk", "/a", "xvda", false); // deprecated VDEV:DEVTYPE
    expect("/a,raw,xvda,format=raw", "/a", "xvda", false);
}

TEST(XlDisk, DeprecatedPrefixes) {
    expect("phy:/dev/sdb,xvdb,r", "/dev/sdb", "xvdb", true);
    expect("file:/img/a.img,xvdc,w", "/img/a.img", "xvdc", false);
    expect("tap:aio:/img/a.img,xvdd,ro", "/img/a.img", "xvdd", true);
    expect("tap2:/a,xvda", "/a", "xvda", false);
    expect("tapdisk:/a,xvda", "/a", "xvda", false);
    expect("ioemu:/a,xvda", "/a", "xvda", false);
    expect("aio:relative.img,xvda", "relative.img", "xvda", false);
    // After a prefix the second position is the vdev, not the format (as in xl).
    EXPECT_EQ(error_of("phy:/dev/sdb,raw"), "vdev \"raw\" is not a Xen virtual disk name");
    EXPECT_EQ(error_of("phy:/dev/sdb,raw,xvdb"), "access \"xvdb\" is not r, ro, w or rw");
}

TEST(XlDisk, Whitespace) {
    expect("  /a,\t raw,\n xvda", "/a", "xvda", false); // skipped before a part only
    EXPECT_EQ(error_of("/a,raw ,xvda"),
              "\"raw \" is not a disk format (raw, qcow, qcow2, vhd, qed)");
    EXPECT_EQ(error_of("/a,,xvda "), "vdev \"xvda \" is not a Xen virtual disk name");
}

TEST(XlDisk, Words) {
    std::string err;
    auto d =
        parse_xl_disk_spec(std::vector<std::string>{"format=raw", "vdev=xvdb", "target=/a,b"}, err);
    ASSERT_TRUE(d.ok()) << err;
    EXPECT_EQ(d->target, "/a,b");
    EXPECT_EQ(d->vdev, "xvdb");
    EXPECT_EQ(d->spec, "format=raw,vdev=xvdb,target=/a,b");
    d = parse_xl_disk_spec(std::vector<std::string>{"/a,,xvdc", "ro"}, err);
    ASSERT_TRUE(d.ok()) << err;
    EXPECT_TRUE(d->read_only);
    EXPECT_EQ(d->vdev, "xvdc");
    // Positions carry on from word to word.
    d = parse_xl_disk_spec(std::vector<std::string>{"/a", "raw", "xvdd"}, err);
    ASSERT_TRUE(d.ok()) << err;
    EXPECT_EQ(d->vdev, "xvdd");
    // target= ends its own word only.
    d = parse_xl_disk_spec(std::vector<std::string>{"target=/a,", "vdev=xvde"}, err);
    ASSERT_TRUE(d.ok()) << err;
    EXPECT_EQ(d->target, "/a");
    EXPECT_FALSE(parse_xl_disk_spec(std::vector<std::string>{}, err).ok());
    EXPECT_EQ(err, "no vdev specified");
    EXPECT_FALSE(parse_xl_disk_spec(std::vector<std::string>{"/a", "qcow2", "xvda"}, err).ok());
    EXPECT_EQ(err, "format \"qcow2\" is not supported: pvisor-blkback serves raw images only");
}

TEST(XlDisk, MissingParts) {
    EXPECT_EQ(error_of(""), "no vdev specified");
    EXPECT_EQ(error_of("/a"), "no vdev specified");
    EXPECT_EQ(error_of("/a,,"), "no vdev specified");
    EXPECT_EQ(error_of("/a,raw,,rw"), "no vdev specified");
    EXPECT_EQ(error_of("vdev=xvda"), "no target specified");
    EXPECT_EQ(error_of(",,xvda"), "no target specified");
    EXPECT_EQ(error_of("vdev=xvda,target="), "no target specified");
    EXPECT_EQ(error_of(",xvda:disk"), "no target specified"); // xend's empty drive form
}

TEST(XlDisk, Formats) {
    EXPECT_EQ(error_of("/a,qcow2,xvda"),
              "format \"qcow2\" is not supported: pvisor-blkback serves raw images only");
    for (const char* f : {"qcow", "vhd", "qed", "empty"}) {
        EXPECT_EQ(error_of(std::string("format=") + f + ",vdev=xvda,target=/a"),
                  std::string("format \"") + f +
                      "\" is not supported: pvisor-blkback serves raw images only");
    }
    EXPECT_EQ(error_of("qcow2:/a,xvda"),
              "format \"qcow2\" is not supported: pvisor-blkback serves raw images only");
    EXPECT_EQ(error_of("vhd:/a,xvda"),
              "format \"vhd\" is not supported: pvisor-blkback serves raw images only");
    EXPECT_EQ(error_of("/a,foo,xvda"), "\"foo\" is not a disk format (raw, qcow, qcow2, vhd, qed)");
    EXPECT_EQ(error_of("/a,raw,xvda,format=qcow2"), "format respecified: \"qcow2\" after \"raw\"");
}

TEST(XlDisk, Errors) {
    EXPECT_EQ(error_of("/a,raw,xvda,rw,extra"), "too many positional parameters: \"extra\"");
    EXPECT_EQ(error_of("/a,raw,xvda,x"), "access \"x\" is not r, ro, w or rw");
    EXPECT_EQ(error_of("/a,raw,xvda,ro,access=rw"), "access respecified: \"rw\" after \"ro\"");
    EXPECT_EQ(error_of("/a,,xvda,vdev=xvdb"), "vdev respecified: \"xvdb\" after \"xvda\"");
    EXPECT_EQ(error_of("/a,,xvda,target=/b"), "target respecified: \"/b\" after \"/a\"");
    EXPECT_EQ(error_of("foo=bar,/a,,xvda"),
              "unknown parameter \"foo=bar\" (a target containing \"=\" must be given last, as "
              "target=...)");
    EXPECT_EQ(error_of("/img/a=b.img,,xvda"),
              "unknown parameter \"/img/a=b.img\" (a target containing \"=\" must be given last, "
              "as target=...)");
    EXPECT_EQ(error_of("c:/img,xvda"), "unknown deprecated disk prefix \"c:\"");
    EXPECT_EQ(error_of("weird:,xvda"), "unknown deprecated disk prefix \"weird:\"");
}

TEST(XlDisk, Unsupported) {
    const std::string no_cdrom = "cdrom is not supported: pvisor guests have no CD-ROM drives";
    EXPECT_EQ(error_of("/a,raw,xvda,cdrom"), no_cdrom);
    EXPECT_EQ(error_of("/a,raw,hdc:cdrom"), "\"hdc:cdrom\": " + no_cdrom);
    EXPECT_EQ(error_of(",hdc:cdrom,r"), "\"hdc:cdrom\": " + no_cdrom);
    EXPECT_EQ(error_of("/a,,xvda,devtype=cdrom"), "devtype=" + no_cdrom);
    EXPECT_EQ(error_of("/a,raw,xvda:floppy"),
              "\"xvda:floppy\": unknown deprecated type \"floppy\"");
    EXPECT_EQ(error_of("/a,,xvda,devtype=floppy"), "devtype \"floppy\" is not disk or cdrom");
    EXPECT_EQ(error_of("/a,,xvda,script=block-iscsi"),
              "script= is not supported: pvisor-blkback opens the target itself");
    EXPECT_EQ(error_of("iscsi:iqn.2001-05.com.example:x,xvda"),
              "prefix \"iscsi:\" needs block script block-iscsi, and pvisor runs no block scripts");
    EXPECT_EQ(error_of("nbd:host:1234,xvda"),
              "prefix \"nbd:\" needs block script block-nbd, and pvisor runs no block scripts");
    EXPECT_EQ(error_of("/a,,xvda,backend=dom1"),
              "backend= is not supported: pvisor's backends run in the host");
    EXPECT_EQ(error_of("/a,,xvda,backendtype=standalone"),
              "backendtype=standalone is not supported: it serves virtio disks");
    EXPECT_EQ(error_of("/a,,xvda,backendtype=foo"),
              "backendtype \"foo\" is not phy, qdisk, tap or standalone");
    EXPECT_EQ(error_of("/a,,xvda,backendtype=phy,backendtype=qdisk"),
              "backendtype respecified: \"qdisk\" after \"phy\"");
    EXPECT_EQ(error_of("/a,,xvda,specification=virtio"),
              "specification=virtio is not supported: pvisor guests have Xen PV disks");
    EXPECT_EQ(error_of("/a,,xvda,specification=x"), "specification \"x\" is not xen or virtio");
    EXPECT_EQ(error_of("/a,,xvda,colo-host=h"),
              "colo-host= is not supported: pvisor has no COLO replication");
    EXPECT_EQ(error_of("/a,,xvda,hidden-disk=/h"),
              "hidden-disk= is not supported: pvisor has no COLO replication");
    EXPECT_EQ(error_of("/a,,xvda,colo"), "colo is not supported: pvisor has no COLO replication");
    EXPECT_EQ(error_of("/a,,xvda,untrusted"),
              "untrusted is not supported: pvisor has no way to tell the guest");
    EXPECT_EQ(error_of("/a,,xvda,no-discard"),
              "no-discard is not supported: pvisor-blkback offers discard where the target can "
              "discard");
    EXPECT_EQ(error_of("/a,,xvda,grant_usage=1"),
              "grant_usage= is not supported: it applies to virtio disks");
}

TEST(XlDisk, VdevsPvisorGuestsCannotHave) {
    EXPECT_EQ(error_of("/a,,sdz9"), "vdev \"sdz9\" is not a Xen virtual disk name");
    EXPECT_EQ(error_of("/a,,vda"), "vdev \"vda\" is not a Xen virtual disk name");
    EXPECT_EQ(error_of("/a,,xvda0"), "vdev \"xvda0\" is not a Xen virtual disk name");
    const std::string xvd_only = ": pvisor guests see Xen virtual disks only (xvda, xvdb, ...)";
    EXPECT_EQ(error_of("/a,,sda"), "vdev \"sda\"" + xvd_only);
    EXPECT_EQ(error_of("/a,,hdc"), "vdev \"hdc\"" + xvd_only);
    EXPECT_EQ(error_of("/a,,2048"), "vdev \"2048\"" + xvd_only);
    EXPECT_EQ(error_of("/a,,0"), "vdev \"0\"" + xvd_only);
    EXPECT_EQ(error_of("/a,,xvda1"),
              "vdev \"xvda1\": pvisor guests take whole disks, not partitions");
    EXPECT_EQ(error_of("/a,,d0p1"),
              "vdev \"d0p1\": pvisor guests take whole disks, not partitions");
    EXPECT_EQ(error_of("/a,,xvdaaa"),
              "vdev \"xvdaaa\": pvisor guests have at most 702 disks (xvda..xvdzz)");
    EXPECT_EQ(error_of("/a,,d702"),
              "vdev \"d702\": pvisor guests have at most 702 disks (xvda..xvdzz)");
}

TEST(XlDisk, HostileInput) {
    using namespace std::string_literals;
    EXPECT_EQ(error_of("/a\0b,,xvda"s), "NUL byte in the disk specification");
    EXPECT_EQ(error_of("vdev=xvda,target=/" + std::string(4095, 'a')),
              "target is longer than 4095 bytes");
    expect("vdev=xvda,target=/" + std::string(4094, 'a'), "/" + std::string(4094, 'a'), "xvda",
           false);
    EXPECT_EQ(error_of("vdev=xvda,target=" + std::string(1 << 20, 'x')),
              "target is longer than 4095 bytes");
    EXPECT_EQ(error_of(std::string(1 << 20, ',')), "too many positional parameters: \"\"");
    EXPECT_EQ(error_of("/a,,xvd" + std::string(1 << 20, 'z')),
              "vdev \"xvd" + std::string(57, 'z') + "...\" is not a Xen virtual disk name");
    EXPECT_EQ(error_of("/a,,\xff\xfe"), "vdev \"\\xff\\xfe\" is not a Xen virtual disk name");
}

} // namespace
} // namespace pvisor::toolstack
