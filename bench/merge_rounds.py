#!/usr/bin/env python3
"""Merges the interleaved rounds of a latency or streaming scenario into one row per path.

bench/run runs every path of scenarios 1 and 3 in turn, for a few seconds each, and repeats the
turn several times (rounds), so that a noisy stretch of this shared machine falls on every path
alike instead of on whichever row ran then. Each round's row has the target "PATH~rN" and its
samples in WORK/hist-latency-PATH~rN.dat (scenario 1) or WORK/hist-ttft-PATH~rN.dat and
WORK/hist-gap-PATH~rN.dat (scenario 3), one sample a line, as loadgen's --hist and --hist-gap
write them. This script appends one row per path to the results file, with percentiles over
every sample of every round (the same rank rule as loadgen's), counters and CPU ticks summed,
and writes the merged samples to WORK/hist-latency-PATH.dat or WORK/hist-ttft-PATH.dat for the
plot.

usage: merge_rounds.py --results FILE --work DIR --scenario latency|streaming
"""
import argparse
import json
import math
import os
from collections import defaultdict

COUNTERS = ("ok", "scheduled", "completed_all", "events_all", "http_errors", "io_errors", "unfinished", "retries")
# scenario -> [(field prefix in the row, hist file prefix)]
SERIES = {"latency": [("latency", "latency")], "streaming": [("ttft", "ttft"), ("max_gap", "gap")]}


def read_samples(path):
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                out.append(float(parts[1]))
    return out


def pct(v, p):
    """v sorted; loadgen's rule: the sample at rank ceil(p/100 * n), clamped to [1, n]."""
    if not v:
        return -1
    rank = min(max(math.ceil(p / 100.0 * len(v)), 1), len(v))
    return v[rank - 1]


def write_samples(path, v):
    n = len(v)
    with open(path, "w") as f:
        for i, x in enumerate(v):
            f.write(f"{(i + 1) / n:.6f} {x:.3f}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--scenario", required=True, choices=sorted(SERIES))
    a = ap.parse_args()

    rounds = defaultdict(list)  # path -> [(round index, row)]
    with open(a.results) as f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            t = r.get("target", "")
            if r.get("scenario") == a.scenario and "~r" in t:
                base, _, n = t.rpartition("~r")
                rounds[base].append((int(n), r))

    merged_rows = []
    for base, rows in sorted(rounds.items()):
        rows.sort(key=lambda x: x[0])
        res = {"mode": rows[0][1].get("result", {}).get("mode", ""), "rounds": len(rows)}
        good = [r for _, r in rows if isinstance(r.get("result"), dict) and "error" not in r["result"]]
        if len(good) < len(rows):
            res["failed_rounds"] = len(rows) - len(good)
        for k in COUNTERS:
            res[k] = sum(r["result"].get(k, 0) for r in good)
        res["max_conns"] = max((r["result"].get("max_conns", 0) for r in good), default=0)
        for k in ("offered_rps", "achieved_rps"):
            vals = [r["result"][k] for r in good if k in r["result"]]
            if vals:
                res[k] = sum(vals) / len(vals)
        for field, prefix in SERIES[a.scenario]:
            samples = []
            for n, r in rows:
                path = os.path.join(a.work, f"hist-{prefix}-{base}~r{n}.dat")
                if os.path.exists(path):
                    samples += read_samples(path)
            samples.sort()
            for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9), ("max", 100)):
                res[f"{field}_{name}_us"] = pct(samples, p)
            res[f"{field}_mean_us"] = sum(samples) / len(samples) if samples else -1
            res[f"{field}_samples"] = len(samples)
            if prefix in ("latency", "ttft") and samples:
                write_samples(os.path.join(a.work, f"hist-{prefix}-{base}.dat"), samples)
        row = {"scenario": a.scenario, "target": base, "result": res}
        ticks = [r["cpu_ticks"] for _, r in rows if "cpu_ticks" in r]
        if ticks:
            row["cpu_ticks"] = sum(ticks)
            row["clk_tck"] = rows[0][1].get("clk_tck", 100)
        merged_rows.append(row)

    with open(a.results, "a") as f:
        for row in merged_rows:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
