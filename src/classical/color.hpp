// The float detour for work that integer passes cannot do exactly: premultiplied alpha and
// linear light. Images go to f32 (sRGB decoded and/or premultiplied), are resampled, and come back.
#pragma once
#include "core/image.hpp"

namespace upres::classical {

float srgb_to_linear(float v);
float linear_to_srgb(float v);

// True when every alpha sample is the maximum (the alpha channel changes nothing then).
bool alpha_all_opaque(const ImageView& image);

// A packed f32 copy of `src`: colour channels sRGB-decoded when `linear`, multiplied by alpha when
// `premultiply` (alpha itself is kept as is).
Image to_working_float(const ImageView& src, bool linear, bool premultiply);
// Undoes to_working_float into `dst` (any sample type): divides by alpha (colour is 0 where alpha
// is 0, so transparent pixels never carry colour), sRGB-encodes, converts with rounding/clamping.
void from_working_float(const ImageView& work, const ImageView& dst, bool linear, bool premultiplied);

}  // namespace upres::classical
