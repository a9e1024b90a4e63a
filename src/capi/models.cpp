// Model files: describe and convert (no libtorch needed).
#include <cstring>

#include "capi/boundary.hpp"
#include "capi/handles.hpp"
#include "formats/model_file.hpp"
#include "nn/arch/family.hpp"
#include "registry/registry.hpp"

using namespace upres;
using namespace upres::capi;

extern "C" {

UPRES_API int32_t upres_model_describe(const char* path, char* buffer, size_t capacity, size_t* out_length) {
    return UPRES_BOUNDARY({
        require(path, "path");
        if (!buffer && capacity) fail(Status::invalid_argument, "buffer is NULL but capacity is not 0");
        formats::ModelFile file = formats::read_model_file(path);
        const std::string format = file.format;
        const std::string text = format + ", " + nn::detect(std::move(file), path).describe();
        if (capacity) {
            const size_t n = std::min(capacity - 1, text.size());
            std::memcpy(buffer, text.data(), n);
            buffer[n] = '\0';
        }
        if (out_length) *out_length = text.size();
    });
}

UPRES_API int32_t upres_method_describe(const char* method, const upres_options* options, char* buffer,
                                        size_t capacity, size_t* out_length) {
    return UPRES_BOUNDARY({
        require(method, "method");
        if (!buffer && capacity) fail(Status::invalid_argument, "buffer is NULL but capacity is not 0");
        const std::string text = describe_method(method, options ? options->options : Options{});
        if (capacity) {
            const size_t n = std::min(capacity - 1, text.size());
            std::memcpy(buffer, text.data(), n);
            buffer[n] = '\0';
        }
        if (out_length) *out_length = text.size();
    });
}

UPRES_API int32_t upres_architecture_count(int32_t* out_count) {
    return UPRES_BOUNDARY({
        require(out_count, "out_count");
        *out_count = int32_t(nn::families().size());
    });
}

UPRES_API int32_t upres_architecture_info(int32_t index, const char** out_name, const char** out_title) {
    return UPRES_BOUNDARY({
        const auto& list = nn::families();
        if (index < 0 || size_t(index) >= list.size())
            fail(Status::invalid_argument, "architecture index " + std::to_string(index) + " out of range (0.." +
                                               std::to_string(int64_t(list.size()) - 1) + ")");
        if (out_name) *out_name = list[size_t(index)]->name;
        if (out_title) *out_title = list[size_t(index)]->title;
    });
}

UPRES_API int32_t upres_model_convert(const char* src_path, const char* dst_path) {
    return UPRES_BOUNDARY({
        require(src_path, "src_path");
        require(dst_path, "dst_path");
        formats::ModelFile file = formats::read_model_file(src_path);
        std::map<std::string, std::string> metadata = file.metadata;
        const std::string source = src_path, format = file.format;
        const nn::Model m = nn::detect(std::move(file), src_path);
        if (m.desc.arch == "torchscript")
            fail(Status::unsupported, std::string(src_path) + ": a TorchScript program has no weights to convert");
        metadata["arch"] = m.desc.arch;  // the family's registry name
        if (m.desc.scale) metadata["scale"] = std::to_string(m.desc.scale);
        metadata["in_channels"] = std::to_string(m.desc.in_channels);
        metadata["out_channels"] = std::to_string(m.desc.out_channels);
        // The file's base name only: a full path would record the converting machine's folders.
        metadata["converted_from"] = source.substr(source.find_last_of('/') + 1) + " (" + format + ")";
        formats::write_safetensors(dst_path, m.tensors, metadata);
    });
}

}  // extern "C"
