// The architecture registry: every family upres knows, in precedence order. Detection asks each
// in turn whether a file's keys are its own and the first that says yes wins, so a family whose
// keys include another's look-alikes comes before it (tests/unit/nn/test_detect.cpp checks the
// pairs that need it). Adding a family: its folder, its include here, one line in the list.
#include "nn/arch/compact/compact.hpp"
#include "nn/arch/dat/dat.hpp"
#include "nn/arch/drct/drct.hpp"
#include "nn/arch/family.hpp"
#include "nn/arch/hat/hat.hpp"
#include "nn/arch/omnisr/omnisr.hpp"
#include "nn/arch/plksr/plksr.hpp"
#include "nn/arch/rcan/rcan.hpp"
#include "nn/arch/realcugan/realcugan.hpp"
#include "nn/arch/rgt/rgt.hpp"
#include "nn/arch/rrdbnet/rrdbnet.hpp"
#include "nn/arch/span/span.hpp"
#include "nn/arch/spanplus/spanplus.hpp"
#include "nn/arch/srcnn/srcnn.hpp"
#include "nn/arch/srresnet/srresnet.hpp"
#include "nn/arch/swinir/swinir.hpp"
#include "nn/arch/torchscript/torchscript.hpp"
#include "nn/arch/waifu2x/waifu2x.hpp"

namespace upres::nn {

const std::vector<const Family*>& families() {
    static const std::vector<const Family*> list = {
        &arch::rrdbnet::family(),
        &arch::compact::family(),
        &arch::realcugan::family(),
        &arch::plksr::family(),
        &arch::srresnet::family(),
        &arch::rcan::family(),
        &arch::rgt::family(),  // before dat: both have before_RG and L-SA's position MLPs; only RGT has gamma
        &arch::dat::family(),
        &arch::hat::family(),     // before swinir: HAT's keys include SwinIR's
        &arch::drct::family(),  // before swinir, whose claims also match its layers.0.swin1 keys
        &arch::swinir::family(),  // claims Swin2SR look-alikes (and HAT-like leftovers) only to refuse them by name
        &arch::srcnn::family(),
        &arch::spanplus::family(),  // before span: its stages hold SPAN-like block names
        &arch::span::family(),
        &arch::omnisr::family(),
        &arch::waifu2x::family(),  // after realcugan: its cunet keys are Real-CUGAN's
        &arch::torchscript::family(),  // never claims keys: only TorchScript archives are it
    };
    return list;
}

const Family* find_family(const std::string& name) {
    for (const Family* f : families())
        if (name == f->name) return f;
    return nullptr;
}

}  // namespace upres::nn
