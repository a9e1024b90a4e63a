// safetensors: the shared fixture's metadata, writer/reader round trips, and malformed headers
// that must fail cleanly with a message naming the file.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "formats/json.hpp"
#include "formats/model_file.hpp"
#include "formats/safetensors.hpp"
#include "test_support.hpp"

using namespace upres;
using namespace upres::formats;

namespace {

std::string with_header(const std::string& json, const std::string& data) {
    std::string out(8, '\0');
    const uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xFF);
    return out + json + data;
}

Status status_of(const std::string& bytes, std::string* message = nullptr) {
    try {
        read_model_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "evil.safetensors");
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.status();
    }
    return Status::ok;
}

}  // namespace

TEST_CASE("the SRCNN fixture loads with its metadata") {
    if (!test::have_shared("models/srcnn-x4-955-official.safetensors")) return;
    ModelFile f = read_model_file(test::shared_dir() + "/models/srcnn-x4-955-official.safetensors");
    CHECK(f.format == "safetensors");
    REQUIRE(f.tensors.count("conv1.weight") == 1);
    CHECK(f.tensors.at("conv1.weight").shape == std::vector<int64_t>{64, 1, 9, 9});
    CHECK(f.metadata.count("scale") == 1);
}

TEST_CASE("write then read gives the same tensors, dtypes and metadata") {
    TensorMap m;
    Tensor a;
    a.dtype = DType::f16;
    a.shape = {2, 3};
    a.data = {0x00, 0x3C, 0x00, 0x40, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x7C, 0x01, 0x00};  // 1, 2, -2, 0, inf, subnormal
    m["layer.weight"] = a;
    Tensor b;
    b.dtype = DType::i64;
    b.shape = {};
    b.data.assign(8, 0);
    b.data[0] = 7;
    m["steps"] = b;
    const std::string path = test::temp_path("roundtrip.safetensors");
    write_safetensors(path, m, {{"arch", "test \"quoted\""}});
    ModelFile f = read_model_file(path);
    CHECK(f.metadata.at("arch") == "test \"quoted\"");
    REQUIRE(f.tensors.size() == 2);
    CHECK(f.tensors.at("layer.weight").data == a.data);
    CHECK(f.tensors.at("steps").numel() == 1);
    const std::vector<float> v = f.tensors.at("layer.weight").to_float();
    CHECK(v[0] == 1.0f);
    CHECK(v[1] == 2.0f);
    CHECK(v[2] == -2.0f);
    CHECK(std::isinf(v[4]));
    CHECK(v[5] == doctest::Approx(5.96e-8).epsilon(0.01));
}

TEST_CASE("malformed files fail with a model error naming the file") {
    const std::string ok_data(16, '\0');
    const std::string good = R"({"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
    REQUIRE(status_of(with_header(good, ok_data)) == Status::ok);
    struct Case {
        const char* what;
        std::string bytes;
    } cases[] = {
        {"truncated length", std::string("\x10\x00\x00", 3)},
        {"header past the end", with_header(good, ok_data).substr(0, 30)},
        {"huge header length", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{", 9)},
        {"not JSON", with_header("{\"t\": [1, 2", "")},
        {"not an object", with_header("[1,2,3]", "")},
        {"unknown dtype", with_header(R"({"t":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", "x")},
        {"dtype x shape != bytes", with_header(R"({"t":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}})", ok_data)},
        {"offsets past the data", with_header(R"({"t":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", ok_data)},
        {"reversed offsets", with_header(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", ok_data)},
        {"negative dimension", with_header(R"({"t":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", ok_data)},
        {"overflowing shape", with_header(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})", ok_data)},
        {"overlapping tensors", with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", ok_data)},
        {"duplicate keys", with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", ok_data)},
        {"deep nesting", with_header(std::string(200, '[') + std::string(200, ']'), "")},
        {"metadata not strings", with_header(R"({"__metadata__":{"scale":4}})", "")},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        std::string message;
        const Status s = status_of(c.bytes, &message);
        CHECK((s == Status::model || s == Status::limit));
        CHECK(message.find("evil.safetensors") != std::string::npos);
    }
    // Zip and pickle markers go to the .pth reader, which finds these too short.
    CHECK(status_of("PK\x03\x04 zip") == Status::model);
    CHECK(status_of(std::string("\x80\x02\x8a\x0a", 4)) == Status::model);
    CHECK(status_of("hello") == Status::model);
}

TEST_CASE("a missing model file is an I/O error naming it") {
    try {
        read_model_file("/nonexistent/model.safetensors");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.status() == Status::io);
        CHECK(std::string(e.what()).find("/nonexistent/model.safetensors") != std::string::npos);
    }
}

TEST_CASE("JSON headers: exact 64-bit integers, bounded nesting, no duplicate keys, upres errors only") {
    auto message_of = [](const std::string& text) {
        try {
            parse_json(text, "h.json");
        } catch (const Error& e) {
            CHECK(e.status() == Status::model);
            return std::string(e.what());
        } catch (const std::exception& e) {
            FAIL("not an upres::Error: " << e.what());
        }
        return std::string();
    };
    // Integers stay exact up to int64's limits (2^53 + 1 is not a double); beyond, they are not integers.
    const JsonValue n = parse_json("[9007199254740993, 9223372036854775807, -9223372036854775808, "
                                   "9223372036854775808, 123456789012345678901234567890, 1.0, 1e3, -0]",
                                   "h.json");
    REQUIRE(n.array.size() == 8);
    CHECK((n.array[0].is_integer && n.array[0].integer == 9007199254740993LL));
    CHECK((n.array[1].is_integer && n.array[1].integer == INT64_MAX));
    CHECK((n.array[2].is_integer && n.array[2].integer == INT64_MIN));
    for (size_t i = 3; i < 7; ++i) CHECK_FALSE(n.array[i].is_integer);
    CHECK(n.array[4].number == doctest::Approx(1.2345678901234568e29));
    CHECK((n.array[7].is_integer && n.array[7].integer == 0));
    // Objects keep file order and decode escapes (surrogate pairs included).
    const JsonValue o = parse_json(R"({"b":"\u00e9\ud83d\ude00","a":[true,false,null],"c":{}})", "h.json");
    REQUIRE(o.object.size() == 3);
    CHECK(o.object[0].first == "b");
    CHECK(o.object[0].second.string == "\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(o.object[1].second.array.size() == 3);
    CHECK(o.object[2].second.kind == JsonValue::Kind::object);
    // Nesting: 64 containers below the top-level one pass, one more is refused.
    const int d = kMaxJsonDepth + 1;
    CHECK_NOTHROW(parse_json(std::string(d, '[') + "1" + std::string(d, ']'), "h.json"));
    CHECK(message_of(std::string(d + 1, '[') + std::string(d + 1, ']')).find("nested too deeply") != std::string::npos);
    CHECK(message_of(std::string(100000, '[')).find("nested too deeply") != std::string::npos);
    // Duplicate keys anywhere, even with different values.
    CHECK(message_of(R"({"a":1,"b":2,"a":1})").find("duplicate key 'a'") != std::string::npos);
    CHECK(message_of(R"({"x":{"k":[1],"k":{}}})").find("duplicate key 'k'") != std::string::npos);
    CHECK_NOTHROW(parse_json(R"([{"a":1},{"a":2}])", "h.json"));  // same key in sibling objects
    // Malformed text of every kind names the file and is an upres::Error.
    for (const char* bad : {"", " ", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "01", "1.", "-", "1e400", "nul", "tru",
                            "\"unterminated", "\"\\x\"", "\"\\ud800\"", "\"\x01\"", "\"\xff\"", "{} {}", "[1]x",
                            "{\"a\":1}/* comment */", "NaN", "'a'"}) {
        CAPTURE(bad);
        CHECK(message_of(bad).find("h.json: bad JSON header") == 0);
    }
}

TEST_CASE("safetensors offsets and dimensions are read as exact 64-bit integers") {
    const std::string data(16, '\0');
    std::string message;
    // 2^53 + 1 would print as ...992 through a double.
    CHECK(status_of(with_header(R"({"t":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,9007199254740993]}})", data),
                    &message) == Status::model);
    CHECK(message.find("9007199254740993)") != std::string::npos);
    // Integers past int64 or written as floats are not dimensions or offsets.
    for (const char* header : {R"({"t":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,16]}})",
                               R"({"t":{"dtype":"U8","shape":[16],"data_offsets":[0,9223372036854775808]}})",
                               R"({"t":{"dtype":"U8","shape":[16.0],"data_offsets":[0,16]}})",
                               R"({"t":{"dtype":"U8","shape":[16],"data_offsets":[0,1.6e1]}})"}) {
        CAPTURE(header);
        CHECK(status_of(with_header(header, data), &message) == Status::model);
        CHECK(message.find("evil.safetensors") != std::string::npos);
    }
    CHECK(status_of(with_header(R"({"t":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", data)) == Status::ok);
    // A duplicate metadata key is refused like a duplicate tensor.
    CHECK(status_of(with_header(R"({"__metadata__":{"k":"1","k":"2"}})", ""), &message) == Status::model);
    CHECK(message.find("duplicate key 'k'") != std::string::npos);
}
