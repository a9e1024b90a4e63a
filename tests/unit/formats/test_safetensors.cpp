// safetensors: the shared fixture's metadata, writer/reader round trips, and malformed headers
// that must fail cleanly with a message naming the file.
#include <doctest/doctest.h>

#include <cmath>
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
