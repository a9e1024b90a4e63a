// Internal error type: every failure inside upres is an upres::Error carrying the status code that
// the C ABI returns and a message that names the object and the problem.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace upres {

// Values match the UPRES_* status macros in upres.h and never change.
enum class Status : int32_t {
    ok = 0,
    invalid_argument = 1,
    unsupported = 2,
    io = 3,
    format = 4,
    model = 5,
    out_of_memory = 6,
    cancelled = 7,
    limit = 8,
    not_found = 9,
    internal = 99,
};

class Error : public std::runtime_error {
public:
    Error(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    Status status() const noexcept { return status_; }

private:
    Status status_;
};

[[noreturn]] inline void fail(Status status, const std::string& message) { throw Error(status, message); }

// Adds context in front of an error's message, keeping its status ("model.pth: " + "bad header").
[[noreturn]] inline void rethrow_with_context(const Error& e, const std::string& context) {
    throw Error(e.status(), context + ": " + e.what());
}

}  // namespace upres
