// Small helpers every `upres` sub-command shares: exit codes, error lines, file-system checks.
#pragma once
#include <string>
#include <vector>

#include <upres/upres.hpp>

namespace upres_cli {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;  // the job failed (bad file, model error, ...)
constexpr int kExitUsage = 2;   // the command line was wrong

// Prints "upres: <message>" as one line on stderr (library function prefixes dropped).
void print_error(const std::string& message);

bool is_directory(const std::string& path);
bool is_regular_file(const std::string& path);
// Image files directly inside a folder, sorted by name.
// Whether files with this extension (lower case, no dot) are images this build reads.
bool is_image_extension(const std::string& ext);
std::vector<std::string> images_in(const std::string& dir);
std::string base_name(const std::string& path);       // "a/b/photo.jpg" -> "photo"
std::string extension_of(const std::string& path);     // "photo.JPG" -> "jpg"
bool make_directories(const std::string& path);
std::vector<std::string> split(const std::string& text, char separator);

// A resampler for a method name, or for a model file (a name with a '/' or an existing file).
upres::Resampler resampler_for(const std::string& method_or_file);
// How a method is labelled in tables and pictures: model files by their base name.
std::string method_label(const std::string& method_or_file);
// Labels for a list of methods, all different: where two base names agree, the paths as given
// (and "#2", "#3" for a method listed twice), so that two models named alike stay apart.
std::vector<std::string> method_labels(const std::vector<std::string>& methods);

}  // namespace upres_cli
