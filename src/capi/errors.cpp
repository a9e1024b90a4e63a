// Status codes and the thread-local last-error message.
#include "capi/boundary.hpp"

namespace upres::capi {

namespace {
thread_local std::string t_last_error;
}

int32_t set_error(Status status, const std::string& message) {
    try {
        t_last_error = message;
    } catch (...) {
        // Keep the status even when the message cannot be stored.
    }
    return int32_t(status);
}

const char* last_error() { return t_last_error.c_str(); }

}  // namespace upres::capi

extern "C" {

UPRES_API const char* upres_last_error(void) { return upres::capi::last_error(); }

UPRES_API const char* upres_status_name(int32_t status) {
    switch (status) {
        case UPRES_OK: return "UPRES_OK";
        case UPRES_E_INVALID_ARGUMENT: return "UPRES_E_INVALID_ARGUMENT";
        case UPRES_E_UNSUPPORTED: return "UPRES_E_UNSUPPORTED";
        case UPRES_E_IO: return "UPRES_E_IO";
        case UPRES_E_FORMAT: return "UPRES_E_FORMAT";
        case UPRES_E_MODEL: return "UPRES_E_MODEL";
        case UPRES_E_OUT_OF_MEMORY: return "UPRES_E_OUT_OF_MEMORY";
        case UPRES_E_CANCELLED: return "UPRES_E_CANCELLED";
        case UPRES_E_LIMIT: return "UPRES_E_LIMIT";
        case UPRES_E_NOT_FOUND: return "UPRES_E_NOT_FOUND";
        case UPRES_E_INTERNAL: return "UPRES_E_INTERNAL";
        default: return "UPRES_E_UNKNOWN";
    }
}

}  // extern "C"
