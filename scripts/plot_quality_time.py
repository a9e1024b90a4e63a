#!/usr/bin/python3
"""Chart of quality against time per method, from the CSV files `upres eval --csv` writes.

usage: plot_quality_time.py RESULTS.csv [MORE.csv ...] -o chart.png [--title TEXT]
Each method's mean row becomes one point (mean seconds per image on a log axis, mean Y-PSNR);
several CSVs (e.g. x2, x3, x4) become one series each.
"""
import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--title", default="Quality against time per image")
    args = ap.parse_args()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    markers = "osD^v<>"
    for n, path in enumerate(args.csv):
        rows = [r for r in csv.DictReader(open(path)) if r["image"] == "mean"]
        if not rows:
            raise SystemExit(f"{path}: no mean rows (is it a `upres eval --csv` file?)")
        scale = rows[0]["scale"]
        xs = [max(float(r["seconds"]), 1e-5) for r in rows]
        ys = [float(r["psnr_y"]) for r in rows]
        ax.scatter(xs, ys, marker=markers[n % len(markers)], label=f"x{scale} ({path.split('/')[-1]})")
        for r, x, y in zip(rows, xs, ys):
            ax.annotate(r["method"], (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("mean time per image (s, log scale)")
    ax.set_ylabel("mean Y-PSNR (dB)")
    ax.set_title(args.title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left")  # the top right is where the best methods land
    fig.tight_layout()
    fig.savefig(args.output)


if __name__ == "__main__":
    main()
