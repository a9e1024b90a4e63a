#!/usr/bin/python3
"""Turns bench_classical's JSON (--benchmark_out) into a Markdown table of times and
upres/peer ratios (below 1: upres is faster), per case, filter, format and thread count.

usage: ratios.py bench.json [pillow.json]
"""
import json
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


if __name__ == "__main__":
    main()
