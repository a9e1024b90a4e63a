#!/usr/bin/python3
"""PyTorch reference outputs for the model fixtures in ../shared/models, for test_nn.

usage: shared_models_reference.py SHARED_MODELS_DIR OUT
Writes OUT/list.txt ("file scale channels" per line) and, per model, OUT/<file>.in.f32 and
OUT/<file>.out.f32 (nn_reference's raw format). SRCNN (a Y model) is run the way upres runs a
1-channel model on a gray image of the output size: g -> Y = (16 + 219 g) / 255 -> network ->
(Y * 255 - 16) / 219, clamped.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nn_reference as R  # noqa: E402
import torch  # noqa: E402

FILES = ["srcnn-x3-955-legacy-format.pth", "compact-x2-aniscale.pth", "compact-x4-animevideov3-unverified.pth"]


def main(src, out):
    os.makedirs(out, exist_ok=True)
    lines = []
    for name in FILES:
        path = os.path.join(src, name)
        if not os.path.exists(path):
            continue
        sd, meta = R.load_state_dict(path)
        m = R.build_from_state_dict(sd, meta)
        if "conv1.weight" in sd:
            g = R.test_image(30, 26, 1, seed=11)
            with torch.no_grad():
                y = m((16 + 219 * g) / 255)
            expected = ((y * 255 - 16) / 219).clamp(0, 1)
            inp, scale, ch = g, 1, 1
        else:
            inp = R.test_image(24, 20, 3, seed=12)
            expected = R.run_model(m, inp)
            scale = expected.shape[2] // inp.shape[2]
            ch = 3
        R.write_raw(os.path.join(out, name + ".in.f32"), inp)
        R.write_raw(os.path.join(out, name + ".out.f32"), expected)
        lines.append("%s %d %d" % (name, scale, ch))
    with open(os.path.join(out, "list.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main(sys.argv[1], sys.argv[2])
