// `upres eval DATASET [--methods a,b,...] [--scale S] [--csv FILE] [--markdown FILE]`
//
// DATASET is a folder laid out like ../shared/data/Set5/x4 (hr/ and lr/ with the same file
// names), or its parent (Set5/, then x{S}/ is used). When lr/ is missing, LR images are made from
// hr/ with the MATLAB-compatible bicubic downscale. Each method upscales every LR image to its HR
// size; PSNR and SSIM are measured on BT.601 Y with `scale` pixels cropped from each border.
#include "eval_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <upres/upres.hpp>

#include "cli_common.hpp"

namespace upres_cli {

namespace {

struct Row {
    std::string image;
    size_t method = 0;  // index into the method list
    double psnr = 0, ssim = 0, seconds = 0;
};

double metric(int32_t (*fn)(const upres_image*, const upres_image*, int32_t, int32_t, double*),
              const upres::Bitmap& a, const upres::Bitmap& b, int border) {
    double v = 0;
    const upres::Image va = a.view(), vb = b.view();
    upres::detail::check(fn(&va, &vb, border, UPRES_METRIC_LUMA, &v));
    return v;
}

void usage() {
    std::fprintf(stderr,
                 "usage: upres eval DATASET [--methods NAME,...] [--scale S] [--csv FILE] [--markdown FILE]\n"
                 "  DATASET: a folder with hr/ (and lr/) images, or a set folder holding x2/ x3/ x4/\n"
                 "  methods: classical names, srcnn, esrgan, or model files (default: bicubic)\n");
}

}  // namespace

int eval_command(int argc, char** argv) {
    std::string dataset, csv_path, md_path;
    std::vector<std::string> methods = {"bicubic"};
    int scale = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "upres: eval: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--methods") methods = split(value(), ',');
        else if (a == "--scale") scale = std::atoi(value().c_str());
        else if (a == "--csv") csv_path = value();
        else if (a == "--markdown") md_path = value();
        else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (!a.empty() && a[0] == '-') {
            std::fprintf(stderr, "upres: eval: unknown option %s\n", a.c_str());
            return 2;
        } else if (dataset.empty()) dataset = a;
        else {
            std::fprintf(stderr, "upres: eval: more than one dataset given\n");
            return 2;
        }
    }
    if (dataset.empty() || methods.empty()) {
        usage();
        return 2;
    }
    while (dataset.size() > 1 && dataset.back() == '/') dataset.pop_back();
    // Set5 -> Set5/x{scale}; Set5/x4 -> scale 4
    if (!is_directory(dataset + "/hr")) {
        if (scale <= 0) scale = 4;
        dataset += "/x" + std::to_string(scale);
    }
    if (scale <= 0) {
        const size_t x = dataset.rfind("/x");
        scale = x == std::string::npos ? 0 : std::atoi(dataset.c_str() + x + 2);
    }
    if (scale < 1 || scale > 16) {
        std::fprintf(stderr, "upres: eval: give the scale with --scale (1..16)\n");
        return 2;
    }
    const std::string hr_dir = dataset + "/hr", lr_dir = dataset + "/lr";
    const std::vector<std::string> labels = method_labels(methods);
    if (!is_directory(hr_dir)) {
        std::fprintf(stderr, "upres: %s: no hr/ folder\n", dataset.c_str());
        return 1;
    }
    std::vector<std::string> names;
    for (const auto& path : images_in(hr_dir)) names.push_back(path.substr(path.find_last_of('/') + 1));
    if (names.empty()) {
        std::fprintf(stderr, "upres: %s: no images\n", hr_dir.c_str());
        return 1;
    }
    const bool have_lr = is_directory(lr_dir);

    std::vector<Row> rows;
    try {
        std::vector<upres::Resampler> resamplers;
        for (const auto& m : methods) resamplers.push_back(resampler_for(m));
        for (const auto& name : names) {
            upres::Bitmap hr = upres::load_file(hr_dir + "/" + name);
            upres::Bitmap lr;
            if (have_lr) {
                lr = upres::load_file(lr_dir + "/" + name);
            } else {
                upres_bitmap* out = nullptr;
                const upres::Image hv = hr.view();
                const std::string spec = "down:" + std::to_string(scale) + ",matlab";
                upres::detail::check(upres_degrade(&hv, spec.c_str(), 0, &out));
                lr = upres::Bitmap(out);
            }
            if (lr.channels() != hr.channels()) {
                std::fprintf(stderr, "upres: %s: hr and lr differ in channels\n", name.c_str());
                return 1;
            }
            for (size_t m = 0; m < methods.size(); ++m) {
                const auto t0 = std::chrono::steady_clock::now();
                upres::Bitmap sr = resamplers[m].run(lr, hr.width(), hr.height());
                const auto t1 = std::chrono::steady_clock::now();
                Row r;
                r.image = name.substr(0, name.rfind('.'));
                r.method = m;
                r.seconds = std::chrono::duration<double>(t1 - t0).count();
                r.psnr = metric(upres_psnr, sr, hr, scale);
                r.ssim = metric(upres_ssim, sr, hr, scale);
                rows.push_back(r);
            }
        }
    } catch (const upres::Error& e) {
        std::fprintf(stderr, "upres: %s\n", e.what());
        return 1;
    }

    // Markdown: one row per image, a PSNR/SSIM column pair per method, then the means.
    std::ostringstream md;
    md << "| image |";
    for (const auto& label : labels) md << " " << label << " PSNR | " << label << " SSIM |";
    md << "\n|---|";
    for (size_t i = 0; i < methods.size(); ++i) md << "---:|---:|";
    md << "\n";
    auto fmt = [](double v, int digits) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.*f", digits, v);
        return std::string(buf);
    };
    std::vector<double> sum_p(methods.size()), sum_s(methods.size()), sum_t(methods.size());
    for (const auto& name : names) {
        const std::string base = name.substr(0, name.rfind('.'));
        md << "| " << base << " |";
        for (size_t m = 0; m < methods.size(); ++m)
            for (const Row& r : rows)
                if (r.image == base && r.method == m) {
                    md << " " << fmt(r.psnr, 2) << " | " << fmt(r.ssim, 4) << " |";
                    sum_p[m] += r.psnr;
                    sum_s[m] += r.ssim;
                    sum_t[m] += r.seconds;
                }
        md << "\n";
    }
    const double n = double(names.size());
    md << "| **mean** |";
    for (size_t m = 0; m < methods.size(); ++m) md << " **" << fmt(sum_p[m] / n, 2) << "** | **" << fmt(sum_s[m] / n, 4) << "** |";
    md << "\n\nTime per image (s):";
    for (size_t m = 0; m < methods.size(); ++m) md << " " << labels[m] << " " << fmt(sum_t[m] / n, 4) << ";";
    md << "\n";

    std::ostringstream csv;
    csv << "image,method,scale,psnr_y,ssim_y,seconds\n";
    for (const Row& r : rows)
        csv << r.image << "," << labels[r.method] << "," << scale << "," << fmt(r.psnr, 4) << "," << fmt(r.ssim, 6) << ","
            << fmt(r.seconds, 6) << "\n";
    for (size_t m = 0; m < methods.size(); ++m)
        csv << "mean," << labels[m] << "," << scale << "," << fmt(sum_p[m] / n, 4) << "," << fmt(sum_s[m] / n, 6)
            << "," << fmt(sum_t[m] / n, 6) << "\n";

    std::printf("%s: x%d, %zu images\n\n%s", dataset.c_str(), scale, names.size(), md.str().c_str());
    auto write = [](const std::string& path, const std::string& text) {
        std::ofstream f(path);
        f << text;
        if (!f) {
            std::fprintf(stderr, "upres: %s: cannot write\n", path.c_str());
            return false;
        }
        return true;
    };
    if (!csv_path.empty() && !write(csv_path, csv.str())) return 1;
    if (!md_path.empty() && !write(md_path, md.str())) return 1;
    return 0;
}

}  // namespace upres_cli
