#include "cli_common.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <sstream>
#include <sys/stat.h>

namespace upres_cli {

void print_error(const std::string& message) {
    std::string m = message;
    // "upres_image_load: in.png: ..." -> "in.png: ..."
    if (m.rfind("upres_", 0) == 0) {
        const size_t colon = m.find(": ");
        if (colon != std::string::npos) m = m.substr(colon + 2);
    }
    std::replace(m.begin(), m.end(), '\n', ' ');
    std::fprintf(stderr, "upres: %s\n", m.c_str());
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_regular_file(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string extension_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    const size_t dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const size_t dot = name.find_last_of('.');
    return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

bool is_image_extension(const std::string& ext) {
    static const std::vector<std::string> known = [] {
        std::vector<std::string> list;
        for (const auto& f : upres::file_formats()) {
            if (!f.read) continue;
            std::istringstream words(f.extensions);
            for (std::string w; words >> w;) list.push_back(w);
        }
        return list;
    }();
    return std::find(known.begin(), known.end(), ext) != known.end();
}

std::vector<std::string> images_in(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            if (name.empty() || name[0] == '.') continue;
            const std::string ext = extension_of(name);
            const std::string full = dir + (dir.back() == '/' ? "" : "/") + name;
            if (is_image_extension(ext) && is_regular_file(full))
                out.push_back(full);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool make_directories(const std::string& path) {
    std::string partial;
    std::stringstream ss(path);
    std::string part;
    if (!path.empty() && path[0] == '/') partial = "/";
    while (std::getline(ss, part, '/')) {
        if (part.empty()) continue;
        partial += part + "/";
        if (mkdir(partial.c_str(), 0777) != 0 && errno != EEXIST) return false;
    }
    return is_directory(path);
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, separator))
        if (!item.empty()) out.push_back(item);
    return out;
}

upres::Resampler resampler_for(const std::string& method) {
    const bool is_path = method.find('/') != std::string::npos || is_regular_file(method);
    if (!is_path) return upres::Resampler(method);
    upres::Options o;
    o.set("model", method);
    return upres::Resampler("model", o);
}

std::string method_label(const std::string& method) {
    return method.find('/') != std::string::npos || is_regular_file(method) ? base_name(method) : method;
}

std::vector<std::string> method_labels(const std::vector<std::string>& methods) {
    std::vector<std::string> labels;
    for (const auto& m : methods) labels.push_back(method_label(m));
    auto count = [](const std::vector<std::string>& v, const std::string& x) { return std::count(v.begin(), v.end(), x); };
    const std::vector<std::string> short_labels = labels;
    for (size_t i = 0; i < labels.size(); ++i)
        if (count(short_labels, short_labels[i]) > 1) labels[i] = methods[i];
    for (size_t i = 0; i < labels.size(); ++i) {
        const std::string given = labels[i];
        for (size_t j = i + 1, k = 2; j < labels.size(); ++j)
            if (labels[j] == given) labels[j] = given + " #" + std::to_string(k++);
    }
    return labels;
}

}  // namespace upres_cli
