#!/usr/bin/python3
"""Bar chart of bench_nn's results: milliseconds per 128x128 RRDBNet-23 forward, upres and PyTorch.

usage: plot_nn.py RUN.json [MORE.json ...] -o chart.png
Each JSON file is one `bench_nn --benchmark_out=RUN.json` run; a bar is the mean over the runs and
its whisker spans the runs' range.
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "pytorch_eager": "PyTorch eager fp32",
    "pytorch_channels_last": "PyTorch channels-last fp32",
    "pytorch_bf16_autocast": "PyTorch bf16 autocast",
    "upres_fp32_aten": "upres fp32, onednn=0",
    "upres_bf16_aten": "upres bf16, onednn=0",
    "upres_fp32": "upres fp32 (Winograd)",
    "upres_bf16": "upres bf16",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    times = {}
    for path in args.runs:
        for b in json.load(open(path))["benchmarks"]:
            key = b["name"].split("/")[1]
            ms = b["real_time"] * {"ms": 1, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
            times.setdefault(key, []).append(ms)
    keys = [k for k in LABELS if k in times]
    if not keys:
        raise SystemExit("no bench_nn results in " + ", ".join(args.runs))
    means = [sum(times[k]) / len(times[k]) for k in keys]
    lo = [m - min(times[k]) for k, m in zip(keys, means)]
    hi = [max(times[k]) - m for k, m in zip(keys, means)]
    colours = ["#1f77b4" if k.startswith("upres") else "#999999" for k in keys]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    y = range(len(keys))
    ax.barh(y, means, xerr=[lo, hi], color=colours, capsize=3)
    ax.set_yticks(list(y))
    ax.set_yticklabels([LABELS[k] for k in keys])
    ax.invert_yaxis()
    for i, (m, h) in enumerate(zip(means, hi)):
        ax.text(m + h + max(means) * 0.015, i, f"{m:.0f} ms", va="center", fontsize=8)
    ax.set_xlabel("ms per 128x128 input (x4, 2 threads; lower is better)")
    ax.set_title("Real-ESRGAN x4plus (RRDBNet, 23 blocks) on the CPU")
    ax.set_xlim(0, max(means) * 1.18)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output)


if __name__ == "__main__":
    main()
