// The one place where C++ meets C: every extern "C" entry point runs its body through
// upres_boundary(), which turns every exception into a status code and a thread-local message.
#pragma once
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/image.hpp"
#include "upres/upres.h"

struct upres_options;

namespace upres::capi {

// Records the message for upres_last_error() on this thread and returns the status.
int32_t set_error(Status status, const std::string& message);
const char* last_error();

template <class Body>
int32_t boundary(const char* function, Body&& body) noexcept {
    try {
        body();
        return UPRES_OK;
    } catch (const Error& e) {
        return set_error(e.status(), std::string(function) + ": " + e.what());
    } catch (const std::bad_alloc&) {
        return set_error(Status::out_of_memory, std::string(function) + ": out of memory");
    } catch (const std::exception& e) {
        return set_error(Status::internal, std::string(function) + ": internal error: " + e.what());
    } catch (...) {
        return set_error(Status::internal, std::string(function) + ": internal error (unknown exception)");
    }
}

template <class T>
T* require(T* p, const char* name) {
    if (!p) fail(Status::invalid_argument, std::string(name) + " is NULL");
    return p;
}

// Converts and validates a public descriptor (NULL, struct_size, shape, stride, data).
ImageView view_from(const upres_image* image, const char* name, uint64_t max_pixels = 0);
// Fills a public descriptor from an internal view.
void fill_public(const ImageView& view, upres_image* out);

}  // namespace upres::capi

#define UPRES_BOUNDARY(...) ::upres::capi::boundary(__func__, [&]() { __VA_ARGS__; })
