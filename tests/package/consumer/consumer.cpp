// The installed header-only C++ API.
#include <cstdio>
#include <vector>

#include <upres/upres.hpp>

int main() {
    std::vector<float> px(5 * 5 * 3, 0.25f);
    upres::Resampler r("bicubic", upres::Options().set("threads", 1));
    upres::Bitmap out = r.run(upres::Image::packed(5, 5, 3, UPRES_SAMPLE_F32, px.data()), 11, 7);
    std::printf("consumer (C++): %dx%d\n", out.width(), out.height());
    return out.width() == 11 && out.height() == 7 ? 0 : 1;
}
