#include "capi/boundary.hpp"

#define UPRES_STR2(x) #x
#define UPRES_STR(x) UPRES_STR2(x)

extern "C" {

UPRES_API uint32_t upres_version(void) { return UPRES_VERSION_NUMBER; }

UPRES_API const char* upres_version_string(void) {
    return UPRES_STR(UPRES_VERSION_MAJOR) "." UPRES_STR(UPRES_VERSION_MINOR) "." UPRES_STR(UPRES_VERSION_PATCH);
}

}  // extern "C"
