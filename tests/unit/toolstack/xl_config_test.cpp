// xl_config_test.cpp: xl.cfg files into DomainConfig: every key, defaults, xl's command line
// rule, limits, the first error with its file, line and key, and reading files.
#include "xl_config.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace pvisor::toolstack {
namespace {

DomainConfig parse(std::string_view text) {
    std::string err;
    auto r = parse_xl_config("t.cfg", text, err);
    EXPECT_TRUE(r.ok()) << err;
    return r.ok() ? std::move(r).value() : DomainConfig{};
}

std::string error_of(std::string_view text) {
    std::string err;
    auto r = parse_xl_config("t.cfg", text, err);
    EXPECT_FALSE(r.ok()) << text;
    if (!r.ok()) {
        EXPECT_EQ(r.error(), Errc::invalid_argument);
    }
    return err;
}

// name and kernel, which every file needs, then `rest` from line 3 on.
std::string with_required(std::string_view rest) {
    return "name = 'g'\nkernel = '/k'\n" + std::string(rest);
}

TEST(XlConfig, EveryKey) {
    const DomainConfig c =
        parse("# a guest\n"
              "name = \"web-1\"\n"
              "type = \"pvh\"\n"
              "kernel = \"/boot/vmlinuz\"\n"
              "ramdisk = \"/boot/initrd.img\"\n"
              "extra = \"console=hvc0\"\n"
              "root = \"/dev/xvda ro\"\n"
              "memory = 512\n"
              "maxmem = 1024\n"
              "vcpus = 2\n"
              "maxvcpus = 4\n"
              "disk = [ '/img/root.img,raw,xvda,rw',\n"
              "         'format=raw, vdev=xvdb, access=ro, target=/img/d.img', ]\n"
              "vif = [ 'mac=00:16:3e:00:00:01,bridge=br0', '' ]\n"
              "on_poweroff = \"preserve\"\n"
              "on_reboot = \"destroy\"\n"
              "on_crash = \"restart\"\n");
    EXPECT_EQ(c.name, "web-1");
    EXPECT_EQ(c.kernel, "/boot/vmlinuz");
    EXPECT_EQ(c.ramdisk, "/boot/initrd.img");
    EXPECT_EQ(c.cmdline, "root=/dev/xvda ro console=hvc0");
    EXPECT_EQ(c.memory_mib, 512U);
    EXPECT_EQ(c.maxmem_mib, 1024U);
    EXPECT_EQ(c.vcpus, 2U);
    EXPECT_EQ(c.maxvcpus, 4U);
    ASSERT_EQ(c.disks.size(), 2U);
    EXPECT_EQ(c.disks[0].target, "/img/root.img");
    EXPECT_EQ(c.disks[0].vdev, "xvda");
    EXPECT_EQ(c.disks[0].devid, 51712U);
    EXPECT_FALSE(c.disks[0].read_only);
    EXPECT_EQ(c.disks[1].target, "/img/d.img");
    EXPECT_EQ(c.disks[1].vdev, "xvdb");
    EXPECT_TRUE(c.disks[1].read_only);
    ASSERT_EQ(c.vifs.size(), 2U);
    EXPECT_EQ(format_mac(*c.vifs[0].mac), "00:16:3e:00:00:01");
    EXPECT_EQ(c.vifs[0].bridge, "br0");
    EXPECT_FALSE(c.vifs[1].mac);
    EXPECT_EQ(c.on_poweroff, ShutdownAction::preserve);
    EXPECT_EQ(c.on_reboot, ShutdownAction::destroy);
    EXPECT_EQ(c.on_crash, ShutdownAction::restart);
    EXPECT_TRUE(c.warnings.empty());
}

TEST(XlConfig, DefaultsAreXls) {
    const DomainConfig c = parse("name = 'g'\nkernel = '/k'\n");
    EXPECT_EQ(c.memory_mib, 32U); // libxl's default
    EXPECT_EQ(c.maxmem_mib, 32U);
    EXPECT_EQ(c.vcpus, 1U);
    EXPECT_EQ(c.maxvcpus, 1U);
    EXPECT_EQ(c.ramdisk, "");
    EXPECT_EQ(c.cmdline, "");
    EXPECT_TRUE(c.disks.empty());
    EXPECT_TRUE(c.vifs.empty());
    EXPECT_EQ(c.on_poweroff, ShutdownAction::destroy);
    EXPECT_EQ(c.on_reboot, ShutdownAction::restart);
    EXPECT_EQ(c.on_crash, ShutdownAction::destroy);
    EXPECT_EQ(shutdown_action_name(c.on_reboot), "restart");
    EXPECT_EQ(shutdown_action_name(ShutdownAction::preserve), "preserve");
    EXPECT_EQ(shutdown_action_name(ShutdownAction::destroy), "destroy");
}

TEST(XlConfig, TypeIsAcceptedWithoutEffect) {
    EXPECT_EQ(parse(with_required("type = 'pv'")).name, "g");
    EXPECT_EQ(parse(with_required("type = 'pvh'")).name, "g");
    EXPECT_EQ(error_of(with_required("type = 'hvm'")),
              "t.cfg:3: type: \"hvm\" is not supported: pvisor runs PV guests (pv or pvh)");
    EXPECT_EQ(error_of(with_required("type = 'p'")),
              "t.cfg:3: type: \"p\" is not a guest type (pv, pvh or hvm)");
}

TEST(XlConfig, CommandLineFollowsXl) {
    EXPECT_EQ(parse(with_required("cmdline = 'console=hvc0 quiet'")).cmdline, "console=hvc0 quiet");
    EXPECT_EQ(parse(with_required("root = '/dev/xvda1'")).cmdline, "root=/dev/xvda1");
    EXPECT_EQ(parse(with_required("extra = 'quiet'")).cmdline, "quiet");
    EXPECT_EQ(parse(with_required("extra = 'quiet'\nroot = '/dev/xvda'")).cmdline,
              "root=/dev/xvda quiet");
    EXPECT_EQ(parse(with_required("extra = 'a'\nextra += ' b'")).cmdline, "a b");
    EXPECT_EQ(parse(with_required("root = ''")).cmdline, "root=");

    const DomainConfig c =
        parse(with_required("root = '/dev/xvda'\nextra = 'quiet'\ncmdline = 'console=hvc0'"));
    EXPECT_EQ(c.cmdline, "console=hvc0");
    EXPECT_EQ(c.warnings, (std::vector<std::string>{
                              "t.cfg:3: root: ignored in favour of cmdline=",
                              "t.cfg:4: extra: ignored in favour of cmdline=",
                          }));
    // An empty cmdline= still wins, as in xl.
    const DomainConfig e = parse(with_required("cmdline = ''\nroot = '/dev/xvda'"));
    EXPECT_EQ(e.cmdline, "");
    EXPECT_EQ(e.warnings.size(), 1U);
    EXPECT_EQ(error_of(with_required("cmdline = [ 'a' ]")),
              "t.cfg:3: cmdline: expected a single value, not a list");
    EXPECT_EQ(error_of(with_required("root = [ ]")),
              "t.cfg:3: root: expected a single value, not a list");
}

TEST(XlConfig, Memory) {
    auto c = parse(with_required("memory = 256"));
    EXPECT_EQ(c.memory_mib, 256U);
    EXPECT_EQ(c.maxmem_mib, 256U);
    c = parse(with_required("maxmem = 2048"));
    EXPECT_EQ(c.memory_mib, 2048U); // libxl: memory defaults to maxmem
    EXPECT_EQ(c.maxmem_mib, 2048U);
    c = parse(with_required("memory = '512'\nmaxmem = 0x400"));
    EXPECT_EQ(c.memory_mib, 512U);
    EXPECT_EQ(c.maxmem_mib, 1024U);
    EXPECT_EQ(parse(with_required("memory = 0400")).memory_mib, 256U); // octal, as in xl
    EXPECT_EQ(parse(with_required("memory = 16")).memory_mib, 16U);
    EXPECT_EQ(parse(with_required("memory = 1048576")).memory_mib, 1048576U);
    EXPECT_EQ(parse(with_required("memory = 'bad'\nmemory = 64")).memory_mib, 64U); // last wins

    EXPECT_EQ(error_of(with_required("memory = \"12x\"")),
              "t.cfg:3: memory: \"12x\" is not a number of MiB");
    EXPECT_EQ(error_of(with_required("memory = ''")),
              "t.cfg:3: memory: \"\" is not a number of MiB");
    EXPECT_EQ(error_of(with_required("memory = ' 256'")),
              "t.cfg:3: memory: \" 256\" is not a number of MiB");
    EXPECT_EQ(error_of(with_required("memory = '-1'")),
              "t.cfg:3: memory: \"-1\" is not a number of MiB");
    EXPECT_EQ(error_of(with_required("memory = 8")),
              "t.cfg:3: memory: 8 is less than pvisor's minimum of 16 MiB");
    EXPECT_EQ(error_of(with_required("memory = 0")),
              "t.cfg:3: memory: 0 is less than pvisor's minimum of 16 MiB");
    EXPECT_EQ(error_of(with_required("memory = 1048577")),
              "t.cfg:3: memory: 1048577 is more than pvisor's maximum of 1048576 MiB (1 TiB)");
    EXPECT_EQ(error_of(with_required("maxmem = 99999999999999999999999")),
              "t.cfg:3: maxmem: \"99999999999999999999999\" is more than pvisor's maximum of "
              "1048576 MiB (1 TiB)");
    EXPECT_EQ(error_of(with_required("memory = [ 256 ]")),
              "t.cfg:3: memory: expected a single value, not a list");
    EXPECT_EQ(error_of(with_required("memory = 256\nmemory += 1")),
              "t.cfg:4: memory: \"+=\" does not apply to numbers");
    EXPECT_EQ(error_of(with_required("maxmem = 128\nmemory = 256")),
              "t.cfg:3: maxmem: 128 MiB is less than memory (256 MiB)");
}

TEST(XlConfig, Vcpus) {
    auto c = parse(with_required("vcpus = 4"));
    EXPECT_EQ(c.vcpus, 4U);
    EXPECT_EQ(c.maxvcpus, 4U);
    c = parse(with_required("maxvcpus = 64"));
    EXPECT_EQ(c.vcpus, 1U);
    EXPECT_EQ(c.maxvcpus, 64U);
    EXPECT_EQ(parse(with_required("vcpus = 64")).vcpus, 64U);
    EXPECT_EQ(error_of(with_required("vcpus = 0")),
              "t.cfg:3: vcpus: 0 is less than pvisor's minimum of 1 vCPU");
    EXPECT_EQ(error_of(with_required("vcpus = 65")),
              "t.cfg:3: vcpus: 65 is more than pvisor's maximum of 64 vCPUs");
    EXPECT_EQ(error_of(with_required("maxvcpus = 0x100000000")),
              "t.cfg:3: maxvcpus: 4294967296 is more than pvisor's maximum of 64 vCPUs");
    EXPECT_EQ(error_of(with_required("vcpus = 99999999999999999999999")),
              "t.cfg:3: vcpus: \"99999999999999999999999\" is more than pvisor's maximum of 64 "
              "vCPUs");
    EXPECT_EQ(error_of(with_required("vcpus = 'two'")),
              "t.cfg:3: vcpus: \"two\" is not a number of vCPUs");
    EXPECT_EQ(error_of(with_required("vcpus += 2")),
              "t.cfg:3: vcpus: \"+=\" does not apply to numbers");
    EXPECT_EQ(error_of(with_required("vcpus = 4\n\nmaxvcpus = 2")),
              "t.cfg:5: maxvcpus: 2 is less than vcpus (4)");
}

// acpi=: xl's boolean, 1 by default; 0 asks for the MP table alone (pvisor run --acpi off).
TEST(XlConfig, Acpi) {
    EXPECT_TRUE(parse(with_required("")).acpi);
    EXPECT_FALSE(parse(with_required("acpi = 0")).acpi);
    EXPECT_TRUE(parse(with_required("acpi = '1'")).acpi);
    EXPECT_EQ(error_of(with_required("acpi = 'yes'")), "t.cfg:3: acpi: \"yes\" is not 0 or 1");
    EXPECT_EQ(error_of(with_required("acpi = 2")), "t.cfg:3: acpi: \"2\" is not 0 or 1");
    EXPECT_EQ(error_of(with_required("acpi = [ 1 ]")),
              "t.cfg:3: acpi: expected a single value, not a list");
}

TEST(XlConfig, Names) {
    EXPECT_EQ(parse("name = 'A-z_0.9'\nkernel = '/k'").name, "A-z_0.9");
    EXPECT_EQ(parse("name = '" + std::string(64, 'n') + "'\nkernel = '/k'").name,
              std::string(64, 'n'));
    EXPECT_EQ(parse("name = '1a'\nkernel = '/k'").name, "1a");
    const auto name_error = [](std::string_view n) {
        return error_of("kernel = '/k'\nname = '" + std::string(n) + "'");
    };
    EXPECT_EQ(name_error(""), "t.cfg:2: name: empty");
    EXPECT_EQ(name_error(std::string(65, 'n')),
              "t.cfg:2: name: \"" + std::string(60, 'n') + "...\" is longer than 64 bytes");
    EXPECT_EQ(name_error("123"),
              "t.cfg:2: name: \"123\" is all digits (it would read as a domain id)");
    EXPECT_EQ(name_error("-x"),
              "t.cfg:2: name: \"-x\" starts with \"-\" (it would read as an option)");
    EXPECT_EQ(name_error("a b"),
              "t.cfg:2: name: \"a b\" has characters other than A-Z a-z 0-9 _ . -");
    EXPECT_EQ(name_error("a/b"),
              "t.cfg:2: name: \"a/b\" has characters other than A-Z a-z 0-9 _ . -");
    EXPECT_EQ(name_error("caf\\xc3\\xa9"),
              "t.cfg:2: name: \"caf\\xc3\\xa9\" has characters other than A-Z a-z 0-9 _ . -");
    EXPECT_EQ(name_error("."), "t.cfg:2: name: \".\" is not a name");
    EXPECT_EQ(name_error(".."), "t.cfg:2: name: \"..\" is not a name");
    EXPECT_EQ(error_of("kernel = '/k'\nname = 7"),
              "t.cfg:2: name: \"7\" is all digits (it would read as a domain id)");
    EXPECT_EQ(error_of("kernel = '/k'\nname = ['a']"),
              "t.cfg:2: name: expected a single value, not a list");
}

TEST(XlConfig, RequiredKeys) {
    EXPECT_EQ(error_of(""), "t.cfg: name: required key is missing");
    EXPECT_EQ(error_of("kernel = '/k'"), "t.cfg: name: required key is missing");
    EXPECT_EQ(error_of("name = 'g'"), "t.cfg: kernel: required key is missing");
    EXPECT_EQ(error_of("name = 'g'\nkernel = ''"), "t.cfg:2: kernel: empty path");
    EXPECT_EQ(error_of("name = 'g'\nkernel = '/" + std::string(4095, 'k') + "'"),
              "t.cfg:2: kernel: path longer than 4095 bytes");
    EXPECT_EQ(error_of(with_required("ramdisk = ''")), "t.cfg:3: ramdisk: empty path");
    EXPECT_EQ(error_of(with_required("ramdisk = ['/r']")),
              "t.cfg:3: ramdisk: expected a single value, not a list");
}

TEST(XlConfig, Actions) {
    for (const char* key : {"on_poweroff", "on_reboot", "on_crash"}) {
        const std::string k = key;
        EXPECT_EQ(error_of(with_required(k + " = 'coredump-destroy'")),
                  "t.cfg:3: " + k +
                      ": \"coredump-destroy\" is not supported by pvisor (destroy, restart or "
                      "preserve)");
        EXPECT_EQ(error_of(with_required(k + " = 'explode'")),
                  "t.cfg:3: " + k +
                      ": \"explode\" is not an action (destroy, restart or preserve)");
        EXPECT_EQ(error_of(with_required(k + " = ['destroy']")),
                  "t.cfg:3: " + k + ": expected a single value, not a list");
    }
    for (const char* a : {"rename-restart", "coredump-restart", "soft-reset"}) {
        EXPECT_EQ(error_of(with_required(std::string("on_crash = '") + a + "'")),
                  std::string("t.cfg:3: on_crash: \"") + a +
                      "\" is not supported by pvisor (destroy, restart or preserve)");
    }
    EXPECT_EQ(parse(with_required("on_crash = 'preserve'")).on_crash, ShutdownAction::preserve);
}

TEST(XlConfig, UnknownKeys) {
    EXPECT_EQ(error_of(with_required("colour = 'red'")), "t.cfg:3: colour: unknown key");
    EXPECT_EQ(error_of(with_required("bootloader = 'pygrub'")),
              "t.cfg:3: bootloader: an xl key pvisor does not support");
    EXPECT_EQ(error_of(with_required("on_watchdog = 'destroy'")),
              "t.cfg:3: on_watchdog: an xl key pvisor does not support");
    EXPECT_EQ(error_of("colour = 1"), "t.cfg:1: colour: unknown key"); // before missing keys
}

TEST(XlConfig, TheFirstErrorWins) {
    // Meaning errors in line order...
    EXPECT_EQ(error_of(with_required("memory = 'x'\nvcpus = 99")),
              "t.cfg:3: memory: \"x\" is not a number of MiB");
    EXPECT_EQ(error_of(with_required("vcpus = 99\nmemory = 'x'")),
              "t.cfg:3: vcpus: 99 is more than pvisor's maximum of 64 vCPUs");
    // ...unknown keys as they are read...
    EXPECT_EQ(error_of(with_required("memory = 'x'\ncolour = 1")), "t.cfg:4: colour: unknown key");
    // ...and the file's syntax before the meaning of any value (it is read whole first).
    EXPECT_EQ(error_of(with_required("memory = 'x'\nvcpus = [")),
              "t.cfg:4: vcpus: unterminated list (no \"]\" for the \"[\" on this line)");
}

TEST(XlConfig, Disks) {
    const std::string text = with_required("disk = [\n"
                                           "  '/img/a.img,raw,xvda,rw',\n"
                                           "  # the data disk\n"
                                           "  '/img/b.img,,sdz9',\n"
                                           "]\n");
    EXPECT_EQ(error_of(text), "t.cfg:6: disk: [1]: vdev \"sdz9\" is not a Xen virtual disk name");
    EXPECT_EQ(error_of(with_required("disk = '/a,,xvda'")),
              "t.cfg:3: disk: expected a list [ ... ], not a single value");
    EXPECT_EQ(error_of(with_required("disk = ['/a,,xvda', '/b,,d0']")),
              "t.cfg:3: disk: [1]: vdev xvda is already used by [0]");
    EXPECT_EQ(error_of(with_required("disk = ['/a,,xvda', '/b,,xvdb', '/a,,xvdc']")),
              "t.cfg:3: disk: [2]: target \"/a\" is already used by [0]");
    EXPECT_EQ(error_of(with_required("disk = ['/a,qcow2,xvda']")),
              "t.cfg:3: disk: [0]: format \"qcow2\" is not supported: pvisor-blkback serves raw "
              "images only");
    const DomainConfig c = parse(with_required("disk = ['/a,,xvda']\ndisk += ['/b,,xvdq,ro']"));
    ASSERT_EQ(c.disks.size(), 2U);
    EXPECT_EQ(c.disks[1].devid, (1U << 28) | (16U << 8));
    EXPECT_TRUE(c.disks[1].read_only);
    EXPECT_EQ(c.disks[1].spec, "/b,,xvdq,ro");
    EXPECT_TRUE(parse(with_required("disk = []")).disks.empty());
}

TEST(XlConfig, Vifs) {
    EXPECT_EQ(error_of(with_required("vif = [ 'bridge=br0',\n 'model=e1000' ]")),
              "t.cfg:4: vif: [1]: model= is not supported by pvisor");
    EXPECT_EQ(error_of(with_required("vif = 'bridge=br0'")),
              "t.cfg:3: vif: expected a list [ ... ], not a single value");
    EXPECT_EQ(error_of(with_required("vif = ['mac=02:00:00:00:00:01', 'mac=02:00:00:00:00:01']")),
              "t.cfg:3: vif: [1]: mac 02:00:00:00:00:01 is already used by [0]");
    EXPECT_EQ(error_of(with_required("vif = ['vifname=v0', '', 'vifname=v0']")),
              "t.cfg:3: vif: [2]: vifname \"v0\" is already used by [0]");
    const DomainConfig c = parse(with_required("vif = ['', '', 'bridge=br1,vifname=web0']"));
    ASSERT_EQ(c.vifs.size(), 3U);
    EXPECT_EQ(c.vifs[2].bridge, "br1");
    EXPECT_EQ(c.vifs[2].vifname, "web0");
}

TEST(XlConfig, HostileInput) {
    using namespace std::string_literals;
    const std::string mb(1 << 20, 'c');
    EXPECT_EQ(parse(with_required("cmdline = '" + mb + "'")).cmdline, mb);
    EXPECT_EQ(error_of(with_required("name\0 = 'x'"s)),
              "t.cfg:3: name: unexpected character \"\\x00\"");
    EXPECT_EQ(error_of(with_required("kernel = '/k\0'"s)), "t.cfg:3: kernel: NUL byte in a string");
    EXPECT_EQ(error_of(with_required("disk = ['/a,,xvda\\x01']")),
              "t.cfg:3: disk: [0]: vdev \"xvda\\x01\" is not a Xen virtual disk name");
    std::string many = "disk = [";
    for (int i = 0; i < 800; ++i)
        many += "'/d" + std::to_string(i) + ",,d" + std::to_string(i) + "',";
    EXPECT_EQ(error_of(with_required(many + "]")),
              "t.cfg:3: disk: [702]: vdev \"d702\": pvisor guests have at most 702 disks "
              "(xvda..xvdzz)");
}

TEST(XlConfig, TheExampleFileIsValid) {
    std::string err;
    auto c = load_xl_config(PV_EXAMPLE_GUEST_CFG, err);
    ASSERT_TRUE(c.ok()) << err;
    EXPECT_FALSE(c->name.empty());
    EXPECT_EQ(c->disks.size(), 1U);
    EXPECT_EQ(c->vifs.size(), 1U);
    EXPECT_TRUE(c->warnings.empty());
}

class XlConfigFile : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/xl_config_test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_dir = tmpl;
    }
    void TearDown() override {
        for (const char* f : {"/g.cfg", "/big.cfg"})
            ::unlink((m_dir + f).c_str());
        ::rmdir(m_dir.c_str());
    }
    void write(const std::string& path, const std::string& text) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(fd);
    }
    std::string m_dir;
};

TEST_F(XlConfigFile, Reads) {
    const std::string path = m_dir + "/g.cfg";
    write(path, "name = 'g'\nkernel = '/k'\nmemory = 64\n");
    std::string err;
    auto c = load_xl_config(path, err);
    ASSERT_TRUE(c.ok()) << err;
    EXPECT_EQ(c->memory_mib, 64U);
    write(path, "name = 'g'\nkernel = '/k'\nmemory = 6\n");
    EXPECT_FALSE(load_xl_config(path, err).ok());
    EXPECT_EQ(err, path + ":3: memory: 6 is less than pvisor's minimum of 16 MiB");
}

TEST_F(XlConfigFile, Unreadable) {
    std::string err;
    auto c = load_xl_config(m_dir + "/absent.cfg", err);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Errc::not_found);
    EXPECT_EQ(err, m_dir + "/absent.cfg: cannot read: No such file or directory");
    c = load_xl_config(m_dir, err);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Errc::io_error);
    EXPECT_EQ(err, m_dir + ": cannot read: Is a directory");
}

TEST_F(XlConfigFile, TooBig) {
    const std::string path = m_dir + "/big.cfg";
    write(path,
          "# " + std::string(kMaxConfigBytes - 3, 'x') + "\n" + "name = 'g'\nkernel = '/k'\n");
    std::string err;
    auto c = load_xl_config(path, err);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Errc::too_big);
    EXPECT_EQ(err, path + ": larger than 4 MiB");
    write(path, "# " + std::string(kMaxConfigBytes - 3 - 25, 'x') + "\n" +
                    "name = 'g'\nkernel = '/k'\n"); // exactly kMaxConfigBytes
    c = load_xl_config(path, err);
    EXPECT_TRUE(c.ok()) << err;
}

} // namespace
} // namespace pvisor::toolstack
