// upres — header-only C++ API over the C ABI (upres.h).
//
// Move-only RAII handles; every failing call throws upres::Error carrying the status code and the
// library's message. Nothing here depends on upres internals, libtorch, Eigen or stb: it compiles
// against the installed upres.h alone and links to libupres like any C program.
#ifndef UPRES_HPP
#define UPRES_HPP

#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "upres/upres.h"

namespace upres {

class Error : public std::runtime_error {
public:
    Error(int32_t status, const std::string& message) : std::runtime_error(message), status_(status) {}
    int32_t status() const noexcept { return status_; }
    const char* status_name() const noexcept { return upres_status_name(status_); }

private:
    int32_t status_;
};

namespace detail {

inline void check(int32_t status) {
    if (status != UPRES_OK) throw Error(status, upres_last_error());
}

// A move-only owner of a C handle with its destroy function.
template <class T, void (*Destroy)(T*)>
class Handle {
public:
    Handle() = default;
    explicit Handle(T* p) noexcept : p_(p) {}
    Handle(Handle&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    Handle& operator=(Handle&& o) noexcept {
        if (this != &o) {
            Destroy(p_);
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    ~Handle() { Destroy(p_); }

    T* get() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    T* p_ = nullptr;
};

}  // namespace detail

inline std::string version() { return upres_version_string(); }

// A descriptor of caller-owned pixels (upres_image). Use Image::packed for tight rows.
struct Image : upres_image {
    Image() : upres_image{} { struct_size = sizeof(upres_image); }
    static Image packed(int32_t width, int32_t height, int32_t channels, int32_t sample_type, void* data) {
        Image im;
        detail::check(upres_image_init(&im, width, height, channels, sample_type, data));
        return im;
    }
};

inline uint64_t required_bytes(int32_t width, int32_t height, int32_t channels, int32_t sample_type) {
    uint64_t n = 0;
    detail::check(upres_image_required_bytes(width, height, channels, sample_type, &n));
    return n;
}

// Pixels owned by upres (decoded files, new results).
class Bitmap {
public:
    Bitmap() = default;
    explicit Bitmap(upres_bitmap* b) noexcept : h_(b) {}
    Bitmap(int32_t width, int32_t height, int32_t channels, int32_t sample_type) {
        upres_bitmap* b = nullptr;
        detail::check(upres_bitmap_create(width, height, channels, sample_type, &b));
        h_ = decltype(h_)(b);
    }
    Image view() const {
        Image im;
        detail::check(upres_bitmap_view(h_.get(), &im));
        return im;
    }
    int32_t width() const { return view().width; }
    int32_t height() const { return view().height; }
    int32_t channels() const { return view().channels; }
    int32_t sample_type() const { return view().sample_type; }
    upres_bitmap* get() const noexcept { return h_.get(); }
    explicit operator bool() const noexcept { return bool(h_); }

    // Metadata carried from file to file (UPRES_METADATA_ICC, _EXIF, _XMP, _IPTC): empty when absent.
    std::string metadata(int32_t kind) const {
        const void* data = nullptr;
        size_t size = 0;
        detail::check(upres_bitmap_metadata(h_.get(), kind, &data, &size));
        return size ? std::string(static_cast<const char*>(data), size) : std::string();
    }
    void set_metadata(int32_t kind, const std::string& bytes) {
        detail::check(upres_bitmap_set_metadata(h_.get(), kind, bytes.data(), bytes.size()));
    }
    // The EXIF orientation the pixels still need (1 unless loaded with auto_orient = 0).
    int32_t orientation() const {
        int32_t o = 1;
        detail::check(upres_bitmap_orientation(h_.get(), &o));
        return o;
    }
    void set_orientation(int32_t orientation) { detail::check(upres_bitmap_set_orientation(h_.get(), orientation)); }
    // This bitmap gets every metadata block and the orientation of `source`.
    void copy_metadata_from(const Bitmap& source) { detail::check(upres_bitmap_copy_metadata(h_.get(), source.get())); }

private:
    detail::Handle<upres_bitmap, upres_bitmap_destroy> h_;
};

class Options {
public:
    Options() {
        upres_options* o = nullptr;
        detail::check(upres_options_create(&o));
        h_ = decltype(h_)(o);
    }
    Options clone() const {
        upres_options* o = nullptr;
        detail::check(upres_options_clone(h_.get(), &o));
        return Options(o);
    }
    Options& set(const char* name, int64_t value) {
        detail::check(upres_options_set_int(h_.get(), name, value));
        return *this;
    }
    Options& set(const char* name, int value) { return set(name, int64_t(value)); }
    Options& set(const char* name, double value) {
        detail::check(upres_options_set_double(h_.get(), name, value));
        return *this;
    }
    Options& set(const char* name, const char* value) {
        detail::check(upres_options_set_string(h_.get(), name, value));
        return *this;
    }
    Options& set(const char* name, const std::string& value) { return set(name, value.c_str()); }
    // Names held in std::string (read from a config file, a command line).
    template <class T>
    Options& set(const std::string& name, const T& value) { return set(name.c_str(), value); }
    int64_t get_int(const std::string& name) const { return get_int(name.c_str()); }
    double get_double(const std::string& name) const { return get_double(name.c_str()); }
    std::string get_string(const std::string& name) const { return get_string(name.c_str()); }
    int64_t get_int(const char* name) const {
        int64_t v = 0;
        detail::check(upres_options_get_int(h_.get(), name, &v));
        return v;
    }
    double get_double(const char* name) const {
        double v = 0;
        detail::check(upres_options_get_double(h_.get(), name, &v));
        return v;
    }
    std::string get_string(const char* name) const {
        size_t n = 0;
        detail::check(upres_options_get_string(h_.get(), name, nullptr, 0, &n));
        std::string s(n + 1, '\0');
        detail::check(upres_options_get_string(h_.get(), name, &s[0], s.size(), &n));
        s.resize(n);
        return s;
    }
    const upres_options* get() const noexcept { return h_.get(); }

private:
    explicit Options(upres_options* o) : h_(o) {}
    detail::Handle<upres_options, upres_options_destroy> h_;
};

// Cancels runs from any thread.
class CancelToken {
public:
    CancelToken() {
        upres_cancel_token* t = nullptr;
        detail::check(upres_cancel_token_create(&t));
        h_ = decltype(h_)(t);
    }
    void cancel() { detail::check(upres_cancel_token_cancel(h_.get())); }
    void reset() { detail::check(upres_cancel_token_reset(h_.get())); }
    bool cancelled() const {
        int32_t v = 0;
        detail::check(upres_cancel_token_is_cancelled(h_.get(), &v));
        return v != 0;
    }
    upres_cancel_token* get() const noexcept { return h_.get(); }

private:
    detail::Handle<upres_cancel_token, upres_cancel_token_destroy> h_;
};

// Progress: (done, total) -> true to go on, false to cancel. Called on the thread that runs.
using Progress = std::function<bool(uint64_t done, uint64_t total)>;

// An immutable, thread-safe resampler created by method name.
class Resampler {
public:
    explicit Resampler(const std::string& method) : Resampler(method, nullptr) {}
    Resampler(const std::string& method, const Options& options) : Resampler(method, options.get()) {}

    int32_t native_scale() const {
        int32_t s = 0;
        detail::check(upres_resampler_scale(h_.get(), &s));
        return s;
    }
    // Into caller-owned pixels.
    void run(const upres_image& src, const upres_image& dst, const Progress& progress = {},
             CancelToken* cancel = nullptr) const {
        Callback cb{&progress, nullptr};
        detail::check(upres_resample(h_.get(), &src, &dst, progress ? &Callback::call : nullptr, &cb,
                                     cancel ? cancel->get() : nullptr));
        cb.rethrow();
    }
    // Into a new bitmap of width x height.
    Bitmap run(const upres_image& src, int32_t width, int32_t height, const Progress& progress = {},
               CancelToken* cancel = nullptr) const {
        Callback cb{&progress, nullptr};
        upres_bitmap* out = nullptr;
        const int32_t status = upres_resample_new(h_.get(), &src, width, height,
                                                  progress ? &Callback::call : nullptr, &cb,
                                                  cancel ? cancel->get() : nullptr, &out);
        cb.rethrow();
        detail::check(status);
        return Bitmap(out);
    }
    Bitmap run(const Bitmap& src, int32_t width, int32_t height, const Progress& progress = {},
               CancelToken* cancel = nullptr) const {
        return run(src.view(), width, height, progress, cancel);
    }
    const upres_resampler* get() const noexcept { return h_.get(); }

private:
    Resampler(const std::string& method, const upres_options* options) {
        upres_resampler* r = nullptr;
        detail::check(upres_resampler_create(method.c_str(), options, &r));
        h_ = decltype(h_)(r);
    }

    // Carries a C++ exception thrown by the progress callback across the C boundary by value:
    // it stops the run, and is rethrown once upres has returned.
    struct Callback {
        const Progress* fn;
        std::exception_ptr error;
        static int32_t call(uint64_t done, uint64_t total, void* user) {
            auto* self = static_cast<Callback*>(user);
            try {
                return (*self->fn)(done, total) ? 0 : 1;
            } catch (...) {
                self->error = std::current_exception();
                return 1;
            }
        }
        void rethrow() {
            if (error) std::rethrow_exception(error);
        }
    };

    detail::Handle<upres_resampler, upres_resampler_destroy> h_;
};

inline std::vector<std::string> methods() {
    std::vector<std::string> names;
    int32_t n = 0;
    detail::check(upres_method_count(&n));
    for (int32_t i = 0; i < n; ++i) {
        const char* name = nullptr;
        detail::check(upres_method_name(i, &name));
        names.emplace_back(name);
    }
    return names;
}

// The architecture families detected in model files, in precedence order: {name, title}.
struct Architecture {
    std::string name, title;
};
inline std::vector<Architecture> architectures() {
    int32_t n = 0;
    detail::check(upres_architecture_count(&n));
    std::vector<Architecture> list;
    for (int32_t i = 0; i < n; ++i) {
        const char *name = nullptr, *title = nullptr;
        detail::check(upres_architecture_info(i, &name, &title));
        list.push_back({name, title});
    }
    return list;
}

// CUDA devices models can run on (option "device" = "cuda:0" .. "cuda:N-1"); 0 without CUDA.
inline int32_t cuda_device_count() {
    int32_t n = 0;
    detail::check(upres_cuda_device_count(&n));
    return n;
}

// Image files (upres_file_*): metadata travels in the Bitmap.
inline Bitmap load_file(const std::string& path) {
    upres_bitmap* b = nullptr;
    detail::check(upres_file_load(path.c_str(), nullptr, &b));
    return Bitmap(b);
}

inline Bitmap load_file(const std::string& path, const Options& options) {
    upres_bitmap* b = nullptr;
    detail::check(upres_file_load(path.c_str(), options.get(), &b));
    return Bitmap(b);
}

inline Bitmap load_file_memory(const void* data, size_t size, const Options* options = nullptr) {
    upres_bitmap* b = nullptr;
    detail::check(upres_file_load_memory(data, size, options ? options->get() : nullptr, &b));
    return Bitmap(b);
}

inline Image probe_file(const std::string& path, const Options* options = nullptr) {
    Image info;
    detail::check(upres_file_probe(path.c_str(), options ? options->get() : nullptr, &info));
    return info;
}

// Throws when the format `path` names cannot hold width x height x channels (before a long run).
inline void check_output(const std::string& path, int32_t width, int32_t height, int32_t channels,
                         const Options* options = nullptr) {
    detail::check(upres_file_check_output(path.c_str(), width, height, channels, options ? options->get() : nullptr));
}

inline void save_file(const std::string& path, const Bitmap& bitmap) {
    detail::check(upres_file_save(path.c_str(), bitmap.get(), nullptr));
}

inline void save_file(const std::string& path, const Bitmap& bitmap, const Options& options) {
    detail::check(upres_file_save(path.c_str(), bitmap.get(), options.get()));
}

// Pixels alone (no metadata).
inline void save_file(const std::string& path, const upres_image& image) {
    detail::check(upres_file_save_image(path.c_str(), &image, nullptr));
}

inline void save_file(const std::string& path, const upres_image& image, const Options& options) {
    detail::check(upres_file_save_image(path.c_str(), &image, options.get()));
}

struct FileFormat {
    std::string name, extensions, codec;
    bool read = false, write = false;
};
inline std::vector<FileFormat> file_formats() {
    int32_t n = 0;
    detail::check(upres_file_format_count(&n));
    std::vector<FileFormat> list;
    for (int32_t i = 0; i < n; ++i) {
        const char *name = nullptr, *extensions = nullptr, *codec = nullptr;
        int32_t flags = 0;
        detail::check(upres_file_format_info(i, &name, &extensions, &flags, &codec));
        list.push_back({name, extensions, codec, (flags & UPRES_FORMAT_READ) != 0, (flags & UPRES_FORMAT_WRITE) != 0});
    }
    return list;
}

}  // namespace upres

#endif  // UPRES_HPP
