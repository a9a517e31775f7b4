// mgmt_protocol_test.cpp: management request validation (exact codes and messages) and the
// reply lines.
#include "mgmt_protocol.hpp"

#include <gtest/gtest.h>

namespace pvisor::mgmt {
namespace {

// The error a line is refused with, as "code: message" ("ok" if it parses).
std::string refusal(std::string_view line) {
    Error e;
    auto r = parse_request(line, e);
    return r.ok() ? "ok" : std::string(code_name(e.code)) + ": " + e.message;
}

TEST(MgmtRequest, Ops) {
    Error e;
    EXPECT_EQ(parse_request(R"({"op":"pause"})", e)->op, Op::pause);
    EXPECT_EQ(parse_request(R"({"op":"unpause"})", e)->op, Op::unpause);
    EXPECT_EQ(parse_request(R"( {"op":"info","extra":[1,2]} )", e)->op, Op::info);
    EXPECT_EQ(parse_request(R"({"op":"destroy"})", e)->op, Op::destroy);
    auto pin = parse_request(R"({"op":"vcpu-pin","vcpu":1,"cpus":[0,3]})", e);
    ASSERT_TRUE(pin.ok()) << e.message;
    EXPECT_EQ(pin->op, Op::vcpu_pin);
    EXPECT_EQ(pin->vcpu, 1U);
    EXPECT_EQ(pin->cpus, (std::vector<std::uint64_t>{0, 3}));
}

TEST(MgmtRequest, SaveFields) {
    Error e;
    auto save = parse_request(R"({"op":"save","path":"/var/s.pvsave","keep_running":true})", e);
    ASSERT_TRUE(save.ok()) << e.message;
    EXPECT_EQ(save->op, Op::save);
    EXPECT_EQ(save->path, "/var/s.pvsave");
    EXPECT_TRUE(save->keep_running);
    EXPECT_FALSE(save->leave_paused);
    EXPECT_EQ(refusal(R"({"op":"save"})"), "bad_request: save: \"path\" must be a string");
    EXPECT_EQ(refusal(R"({"op":"save","path":"rel/s"})"),
              "invalid_argument: save: \"path\" must be an absolute path of at most 4095 bytes");
    EXPECT_EQ(refusal(R"({"op":"save","path":""})"),
              "invalid_argument: save: \"path\" must be an absolute path of at most 4095 bytes");
    EXPECT_EQ(refusal(R"({"op":"save","path":"/s","paused":1})"),
              "bad_request: save: \"paused\" must be true or false");
    EXPECT_EQ(refusal(R"({"op":"save","path":"/s","keep_running":"yes"})"),
              "bad_request: save: \"keep_running\" must be true or false");
    EXPECT_EQ(reply_saved({4096, 1, 2, 3}),
              "{\"ok\":true,\"bytes\":4096,\"pages\":1,\"zero_pages\":2,\"ms\":3}\n");
}

TEST(MgmtRequest, NotJsonOrNotAnObject) {
    EXPECT_EQ(refusal(R"({"op":"pau)"), "bad_request: request is not valid JSON");
    EXPECT_EQ(refusal(R"({"op":"pause"} {})"), "bad_request: request is not valid JSON");
    EXPECT_EQ(refusal("\xff\xfe"), "bad_request: request is not valid JSON");
    EXPECT_EQ(refusal(R"(["op","pause"])"), "bad_request: request must be a JSON object");
    EXPECT_EQ(refusal("42"), "bad_request: request must be a JSON object");
    EXPECT_EQ(refusal("null"), "bad_request: request must be a JSON object");
}

TEST(MgmtRequest, OpField) {
    EXPECT_EQ(refusal(R"({})"), "bad_request: request has no \"op\"");
    EXPECT_EQ(refusal(R"({"op":7})"), "bad_request: \"op\" must be a string");
    EXPECT_EQ(refusal(R"({"op":null})"), "bad_request: \"op\" must be a string");
    EXPECT_EQ(refusal(R"({"op":"reboot"})"), "unknown_op: unknown op \"reboot\"");
    EXPECT_EQ(refusal(R"({"op":"Pause"})"), "unknown_op: unknown op \"Pause\"");
    // An unknown op is quoted back cut at 64 bytes, escaped as JSON.
    const std::string long_op(100, 'x');
    EXPECT_EQ(refusal(R"({"op":")" + long_op + R"("})"),
              "unknown_op: unknown op \"" + std::string(64, 'x') + "...\"");
    EXPECT_EQ(refusal(R"({"op":"a\"b\n"})"), R"(unknown_op: unknown op "a\"b\n")");
}

TEST(MgmtRequest, PinFields) {
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","cpus":[0]})"),
              "bad_request: vcpu-pin: \"vcpu\" must be a non-negative integer");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":-1,"cpus":[0]})"),
              "bad_request: vcpu-pin: \"vcpu\" must be a non-negative integer");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":"0","cpus":[0]})"),
              "bad_request: vcpu-pin: \"vcpu\" must be a non-negative integer");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":1.5,"cpus":[0]})"),
              "bad_request: vcpu-pin: \"vcpu\" must be a non-negative integer");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":0})"),
              "bad_request: vcpu-pin: \"cpus\" must be an array of CPU numbers");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":0,"cpus":3})"),
              "bad_request: vcpu-pin: \"cpus\" must be an array of CPU numbers");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":0,"cpus":[]})"),
              "invalid_argument: vcpu-pin: \"cpus\" is empty");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":0,"cpus":[0,"1"]})"),
              "bad_request: vcpu-pin: cpus[1] must be a non-negative integer");
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":0,"cpus":[0,[1]]})"),
              "bad_request: vcpu-pin: cpus[1] must be a non-negative integer");
    std::string many = R"({"op":"vcpu-pin","vcpu":0,"cpus":[0)";
    for (std::size_t i = 0; i < kMaxPinCpus; ++i)
        many += ",0";
    EXPECT_EQ(refusal(many + "]}"), "invalid_argument: vcpu-pin: \"cpus\" has more than 1024 entries");
    // Values beyond a host's CPUs parse: the VMM refuses them against its allowed set.
    EXPECT_EQ(refusal(R"({"op":"vcpu-pin","vcpu":99,"cpus":[18446744073709551615]})"), "ok");
}

TEST(MgmtRequest, OversizedLine) {
    const std::string big = R"({"op":"info","pad":")" + std::string(kMaxLine, 'p') + R"("})";
    EXPECT_EQ(refusal(big), "bad_request: request line longer than 65536 bytes");
}

TEST(MgmtReply, OkAndErrors) {
    EXPECT_EQ(reply_ok(), "{\"ok\":true}\n");
    EXPECT_EQ(reply_error({Code::invalid_argument, "cpu 7 \"x\""}),
              R"({"ok":false,"error":{"code":"invalid_argument","message":"cpu 7 \"x\""}})"
              "\n");
    // A cut multi-byte character in a message does not abort the VMM.
    EXPECT_EQ(reply_error({Code::bad_request, "\xc3"}),
              "{\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"\xef\xbf\xbd\"}}\n");
}

TEST(MgmtReply, Info) {
    Info i;
    i.paused = true;
    i.domid = 5;
    i.name = "web";
    i.vcpus.push_back({0, 12, 3400, 4242, {0, 1}});
    i.rss_kb = 2048;
    i.memory_bytes = 64ULL << 20;
    i.counters = "vcpu0.exits.pio 7\nnot a number x\nhypercall.sched_op.calls 3\n\nnovalue\n";
    EXPECT_EQ(reply_info(i),
              R"({"ok":true,"state":"paused","domid":5,"name":"web","vcpus":[{"id":0,"exits":12,)"
              R"("cpu_ns":3400,"tid":4242,"affinity":[0,1]}],"rss_kb":2048,"memory_bytes":67108864,)"
              R"("counters":{"vcpu0.exits.pio":7,"hypercall.sched_op.calls":3}})"
              "\n");
    i.paused = false;
    i.vcpus.clear();
    i.counters.clear();
    EXPECT_NE(reply_info(i).find(R"("state":"running")"), std::string::npos);
    EXPECT_NE(reply_info(i).find(R"("vcpus":[],)"), std::string::npos);
    EXPECT_NE(reply_info(i).find(R"("counters":{}})"), std::string::npos);
}

} // namespace
} // namespace pvisor::mgmt
