#!/usr/bin/python3
"""Turns bench_classical's JSON (--benchmark_out) into a Markdown table of times and
upres/peer ratios (below 1: upres is faster), per case, filter, format and thread count.

usage: ratios.py bench.json [pillow.json]
"""
import json
import math
import sys
from collections import defaultdict


def main():
    rows = defaultdict(dict)
    for b in json.load(open(sys.argv[1]))["benchmarks"]:
        # With --benchmark_repetitions, keep the median of the repetitions.
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        parts = b["name"].split("/")
        if len(parts) < 5:
            continue
        case, flt, fmt, threads, who = parts[:5]
        rows[(case, flt, fmt, threads)][who] = b["real_time"]  # milliseconds
    if len(sys.argv) > 2:
        for key, ms in json.load(open(sys.argv[2])).items():
            case, flt, fmt, threads = key.split("/")
            rows[(case, flt, fmt, threads)]["pillow"] = ms
    peers = ["opencv", "vips", "stb", "pillow"]
    print("| case | filter | format | threads | upres ms | " + " | ".join(f"{p} ms (ratio)" for p in peers) + " |")
    print("|---|---|---|---|---:|" + "---:|" * len(peers))
    for (case, flt, fmt, threads), t in sorted(rows.items()):
        if "upres" not in t:
            continue
        cells = []
        for p in peers:
            cells.append(f"{t[p]:.1f} ({t['upres'] / t[p]:.2f})" if p in t else "—")
        print(f"| {case} | {flt} | {fmt} | {threads[1:]} | {t['upres']:.1f} | " + " | ".join(cells) + " |")
    # Summary per thread count: upres against the fastest peer of each case.
    print()
    for threads in sorted({k[3] for k in rows}):
        for label, fmts in (("rgb8, rgba8, rgbf32", {"rgb8", "rgba8", "rgbf32"}), ("rgb16", {"rgb16"})):
            ratios = []
            for (case, flt, fmt, th), t in sorted(rows.items()):
                if th != threads or fmt not in fmts or "upres" not in t:
                    continue
                best = min((t[p], p) for p in peers if p in t)
                ratios.append((t["upres"] / best[0], f"{case} {flt} {fmt} vs {best[1]}"))
            if not ratios:
                continue
            geo = math.exp(sum(math.log(r) for r, _ in ratios) / len(ratios))
            worst = max(ratios)
            lost = sum(1 for r, _ in ratios if r >= 1)
            print(f"- {threads[1:]} thread(s), {label}: {len(ratios)} cases, geometric mean vs the fastest peer "
                  f"{geo:.2f}, cases lost {lost}, worst {worst[0]:.2f} ({worst[1]})")


if __name__ == "__main__":
    main()
