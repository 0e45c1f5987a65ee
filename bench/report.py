#!/usr/bin/env python3
"""bench/report.py: turns the JSON lines of one bench/run into a table (stdout), the generated
part of bench/RESULTS.md and bench/latency.png (gnuplot).

RESULTS.md keeps everything outside the <!-- generated:... --> markers, so the hand-written
analysis (profiles, before/after notes) survives a rerun; one line per full run is appended to
the history table."""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

BEGIN, END = "<!-- generated:begin -->", "<!-- generated:end -->"
HBEGIN, HEND = "<!-- history:begin -->", "<!-- history:end -->"


def load(path):
    rows = {}
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        key = (r["scenario"], r["target"])
        if "cpu_ticks" in r and isinstance(r["result"], dict):
            r["result"]["cpu_s"] = r["cpu_ticks"] / r.get("clk_tck", 100)
        if r["scenario"] == "memory" and key in rows:
            rows[key].update(r["result"])
        else:
            rows[key] = r["result"]
    return rows


def num(x):
    return isinstance(x, (int, float)) and x >= 0


def us(x):
    if not isinstance(x, (int, float)):
        return "–"
    if abs(x) >= 10000:
        return f"{x / 1000:,.1f} ms"
    return f"{x:,.0f} µs"


def ms(x):
    return "–" if not isinstance(x, (int, float)) else f"{x / 1000:,.1f} ms"


def mb(kb):
    return "–" if not num(kb) or kb == 0 else f"{kb / 1024:,.1f} MB"


def ratio(a, b):
    """a / b for the 'ratio to nginx' columns; only meaningful for positive values."""
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b <= 0 or a < 0:
        return "n/a"
    return f"{a / b:.2f}×"


def rounds_text(rounds, duration, after):
    """How scenarios 1 and 3 interleave their paths (bench/merge_rounds.py); "" with one round."""
    if not rounds or rounds == "1":
        return ""
    return (f"The paths run interleaved: each in turn for {float(duration) / int(rounds):g} s (after a 1 s warm-up), "
            f"and the turn {rounds} times, so a noisy stretch of the machine falls on every path, the direct baselines "
            f"included, rather than on one row; each row's percentiles are over all its rounds' requests. "
            f"{after} run after the rounds, in one stretch. ")


def slice_values(R, scenario, target, key):
    """One value per interleaved round ("TARGET~rN" rows, bench/merge_rounds.py), in round order."""
    found = []
    for (sc, t), r in R.items():
        if sc == scenario and t.startswith(target + "~r") and num(r.get(key)):
            found.append((int(t.rsplit("~r", 1)[1]), r[key]))
    return [v for _, v in sorted(found)]


def median(v):
    v = sorted(v)
    if not v:
        return None
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def by_slice(values):
    """'median (min–max)' of per-slice figures; '' with fewer than two slices."""
    if len(values) < 2:
        return ""
    return f"{us(median(values))} ({us(min(values))}–{us(max(values))})"


def machine_noise(R, scenario, per):
    """What the machine itself did during an interleaved scenario, from the load generator's own
    lateness: each send waits for a timer, and the time between the scheduled and the actual send
    is how late that wake-up came. No proxy is involved in it."""
    lags = []
    for (sc, t), r in R.items():
        if sc == scenario and "~r" in t and num(r.get("gen_lag_p99_us")):
            lags.append(r["gen_lag_p99_us"])
    if len(lags) < 2:
        return None
    late = sum(1 for x in lags if x > 500)
    return (f"the load generator's own wake-up lateness (a send's scheduled moment to its actual one: a timer wake-up of its own, no proxy's work in it) had a p99 per {per} "
            f"slice of {us(min(lags))} to {us(max(lags))}, median {us(median(lags))}; {late} of {len(lags)} slices over 500 µs")


def median_slice_ratio(R, target, base):
    """The path's added p99 over nginx's, both taken in the median slice (each round's p99 minus
    its baseline's in the same round): what the ratio is when no single disturbed slice sets it."""
    mine = [a - b for a, b in zip(slice_values(R, "latency", target, "latency_p99_us"),
                                  slice_values(R, "latency", base, "latency_p99_us"))]
    theirs = [a - b for a, b in zip(slice_values(R, "latency", "nginx-openai", "latency_p99_us"),
                                    slice_values(R, "latency", "direct-openai", "latency_p99_us"))]
    m, n = median(mine), median(theirs)
    if len(mine) < 2 or m is None or n is None or n <= 0 or m < 0:
        return ""
    return f"{m / n:.2f}× ({us(m)} vs {us(n)})"


def cpu_per(r, per=1):
    """The proxy's CPU time (user + system, all threads) per request answered in the row's run,
    warm-up included, divided further by `per` (deltas per stream); "" when not measured."""
    n = r.get("completed_all", 0) * per
    if "cpu_s" not in r or not n:
        return ""
    return f"{r['cpu_s'] / n * 1e6:,.1f} µs"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    deb = ""
    try:
        deb = "Debian " + open("/etc/debian_version").read().strip()
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {deb}, Linux {platform.release()}"


def verdict(ok, detail):
    return ("✅ met" if ok else "❌ missed") + (f" ({detail})" if detail else "")


def added_verdict(value, goal):
    """Goal check for an 'added' figure (a difference of two noisy percentiles)."""
    if value < 0:
        return "⚠️ inconclusive (negative: the baseline was noisier than the path; rerun)"
    return verdict(value <= goal, "" if value <= goal else f"by {value - goal:,.0f} µs, {value / goal:.1f}× the goal")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", required=True)
    ap.add_argument("--meta", nargs="*", default=[])
    a = ap.parse_args()
    meta = dict(m.split("=", 1) for m in a.meta)
    R = load(a.results)
    get = lambda s, t: R.get((s, t), {})
    quick = meta.get("quick") == "1"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(meta.get("start", time.time()))))
    minutes = (int(meta.get("end", 0)) - int(meta.get("start", 0))) / 60
    md = []
    targets = []  # (goal, measured, verdict)

    md.append(f"## Run of {when}{' (BENCH_QUICK=1 smoke run: short, not for conclusions)' if quick else ''}\n")
    md.append(f"* Machine: {machine()}. Load average before {meta.get('load_before')}, "
              f"after {meta.get('load_after')}; the run took {minutes:.1f} min.")
    md.append(f"* Code: commit {meta.get('commit')}"
              + (f" plus {meta.get('dirty')} modified tracked files (work in progress)" if meta.get('dirty', '0') != '0' else "")
              + ". Release build (-O3 via CMAKE_BUILD_TYPE=Release), `workers: auto`, `logging: {level: warn, access_log: false}`, "
              "store in a temp dir (SQLite, WAL, synchronous=FULL).")
    md.append(f"* Peers: nginx {meta.get('nginx')} (`worker_processes auto`, keep-alive upstream pool, "
              f"`proxy_buffering off` for streams); Portkey: {meta.get('portkey') or 'not run'}.")
    md.append("* Everything (load generator, gateway, peers, fake providers) shares the same cores on "
              "127.0.0.1: absolute figures are noisy, the ratios to nginx are what travel.")
    if meta.get("gw_env"):
        md.append(f"* The gateway ran with `{meta['gw_env']}` (an experiment, not the default).")
    if meta.get("note"):
        md.append(f"* Note: {meta['note']}")
    if meta.get("gw_log_lines", "0") != "0":
        md.append(f"* The gateway wrote {meta['gw_log_lines']} log lines at level warn during the run.")
    md.append("")

    # --- 1. added latency ----------------------------------------------------------------
    L = lambda t: get("latency", t)
    if any(k[0] == "latency" for k in R):
        d_oa, d_an, ng = L("direct-openai"), L("direct-anthropic"), L("nginx-openai")

        def added(r, base, p):
            k = f"latency_{p}_us"
            if k in r and k in base and num(r[k]) and num(base[k]):
                return r[k] - base[k]
            return None

        ng50, ng99 = added(ng, d_oa, "p50"), added(ng, d_oa, "p99")
        rows = []
        spec = [("nginx → OpenAI (proxy_pass)", "nginx-openai", "direct-openai"),
                ("interlingua Interactions → OpenAI", "interactions-openai", "direct-openai"),
                ("interlingua Sessions chat → OpenAI", "sessions-openai", "direct-openai"),
                ("interlingua Interactions → Anthropic", "interactions-anthropic", "direct-anthropic"),
                ("interlingua Interactions → OpenAI, `store: true`", "interactions-openai-stored", "direct-openai"),
                (f"Portkey → OpenAI (at {meta.get('portkey_lat_rate')} req/s)", "portkey-openai", "direct-openai-at-portkey-rate")]
        for name, t, base in spec:
            r, b = L(t), L(base)
            if not r:
                continue
            a50, a99 = added(r, b, "p50"), added(r, b, "p99")
            errs = int(r.get("http_errors", 0) + r.get("io_errors", 0) + r.get("unfinished", 0))
            over_ng = (r["latency_p99_us"] - ng["latency_p99_us"]
                       if t != "nginx-openai" and num(r.get("latency_p99_us")) and num(ng.get("latency_p99_us")) else None)
            rows.append([name, us(b.get("latency_p50_us")), us(b.get("latency_p99_us")),
                         us(r.get("latency_p50_us")), us(r.get("latency_p99_us")),
                         by_slice(slice_values(R, "latency", t, "latency_p99_us")),
                         us(a50), us(a99), ratio(a50, ng50), ratio(a99, ng99),
                         us(over_ng) if over_ng is not None else "", cpu_per(r), f"{int(r.get('ok', 0))}/{errs}"])
            if t in ("interactions-openai", "sessions-openai", "interactions-anthropic") and a99 is not None:
                targets.append((f"Added p99, unary, {name.replace('interlingua ', '')} ≤ 100 µs", us(a99),
                                added_verdict(a99, 100)))
                if ng99 is not None and ng99 > 0 and a99 >= 0:
                    rr = a99 / ng99
                    measured = f"{rr:.2f}× ({us(a99)} vs {us(ng99)})"
                    typical = median_slice_ratio(R, t, base)
                    if typical:
                        measured += f"; in the median slice {typical}"
                    targets.append((f"Added p99, {name.replace('interlingua ', '')} ≤ 1.5× nginx's", measured,
                                    verdict(rr <= 1.5, "" if rr <= 1.5 else f"by {rr / 1.5:.1f}×")))
        md.append(f"### 1. Added latency, unary, zero-delay upstream\n")
        md.append(f"Open loop at {meta.get('lat_rate')} requests/s for {meta.get('lat_duration')} s per row "
                  "(concurrency ≈ 1: each answer takes well under the 5 ms between sends), latency from the "
                  "*scheduled* send time, percentiles over every request after the warm-up. "
                  + rounds_text(meta.get("lat_rounds"), meta.get("lat_duration"), "Portkey's two rows") +
                  "Added = through − direct, per percentile (the fake provider straight, same prompt, "
                  "OpenAI `/v1/chat/completions` or Anthropic `/v1/messages`). \"p99 − nginx's p99\" compares two "
                  "one-hop paths to the same fake provider directly: it does not depend on the direct baseline's tail. "
                  "CPU per request = the proxy's user + system time over the row's run (all its threads and "
                  "processes, from `/proc`, 10 ms ticks) ÷ requests answered: steadier than the tails on a shared "
                  "machine, it is what each request costs the proxy, wake-ups included.\n")
        noise = machine_noise(R, "latency", f"{float(meta.get('lat_duration', 0)) / int(meta.get('lat_rounds') or 1):g} s")
        if noise:
            md.append(f"Machine noise in this scenario: {noise}. \"p99 by slice\" is the p99 of each of the path's slices: "
                      "a wide range is a disturbed slice, not the path.\n")
        md.append(table(["Path", "direct p50", "direct p99", "through p50", "through p99", "p99 by slice: median (range)", "added p50",
                         "added p99", "added p50 ÷ nginx", "added p99 ÷ nginx", "p99 − nginx's p99",
                         "CPU per request", "ok/errors"], rows))
        md.append("")

    # --- 2. throughput -------------------------------------------------------------------
    T = [k[1] for k in R if k[0] == "throughput"]
    if T:
        conns = sorted({int(t.split("@")[1]) for t in T})
        names = [("direct-openai", "fake provider direct (ceiling)"), ("nginx-openai", "nginx → OpenAI"),
                 ("interactions-openai", "interlingua Interactions → OpenAI"),
                 ("interactions-openai-stored", "interlingua Interactions → OpenAI, `store: true`"),
                 ("portkey-openai", "Portkey → OpenAI")]
        rows = []
        for t, label in names:
            if not any(x.startswith(t + "@") for x in T):
                continue
            row = [label]
            for n in conns:
                r, ng = get("throughput", f"{t}@{n}"), get("throughput", f"nginx-openai@{n}")
                if not r:
                    row.append("–")
                    continue
                cell = f"{r.get('frontier_rps', 0):,.0f} rps"
                if t != "nginx-openai":
                    cell += f" ({ratio(r.get('frontier_rps'), ng.get('frontier_rps'))})"
                cell += f"; closed loop {r.get('ceiling_rps', 0):,.0f} rps, p99 {ms(r.get('closed_p99_us'))}"
                row.append(cell)
            rows.append(row)
        md.append(f"### 2. Throughput, {meta.get('tp_delay_ms')} ms upstream delay\n")
        md.append(f"Highest rate with p99 ≤ {meta.get('tp_bound_ms')} ms, no errors and the offered rate achieved, "
                  f"at each connection count: a closed-loop step ({meta.get('tp_duration')} s) gives the ceiling; if its "
                  f"p99 is over the bound, {meta.get('tp_steps')} open-loop steps bisect below it with the same pool of "
                  "connections. The ideal is connections ÷ 20 ms (3,200 / 12,800 / 51,200 rps). Ratio to nginx in brackets.\n")
        md.append(table(["Target"] + [f"{n} connections" for n in conns], rows))
        md.append("")
        g, n = get("throughput", "interactions-openai@256"), get("throughput", "nginx-openai@256")
        if g and n and n.get("frontier_rps", 0) > 0:
            rr = g.get("frontier_rps", 0) / n["frontier_rps"]
            targets.append(("Throughput at 256 connections ≥ 0.8× nginx's", f"{rr:.2f}× ({g.get('frontier_rps', 0):,.0f} vs {n['frontier_rps']:,.0f} rps)",
                            verdict(rr >= 0.8, "" if rr >= 0.8 else f"short by {(0.8 - rr) * 100:.0f} points")))

    # --- 3. streaming --------------------------------------------------------------------
    if any(k[0] == "streaming" for k in R):
        S = lambda t: get("streaming", t)
        d_oa, ng = S("direct-openai"), S("nginx-openai")

        def added(r, base, p):
            k = f"ttft_{p}_us"
            if k in r and k in base and num(r[k]) and num(base[k]):
                return r[k] - base[k]
            return None

        ng50, ng99 = added(ng, d_oa, "p50"), added(ng, d_oa, "p99")
        rows = []
        spec = [("fake provider direct, OpenAI", "direct-openai", None),
                ("fake provider direct, Anthropic", "direct-anthropic", None),
                ("nginx → OpenAI", "nginx-openai", "direct-openai"),
                ("interlingua Interactions → OpenAI", "interactions-openai", "direct-openai"),
                ("interlingua Sessions chat → OpenAI", "sessions-openai", "direct-openai"),
                ("interlingua Interactions → Anthropic", "interactions-anthropic", "direct-anthropic"),
                ("Portkey → OpenAI", "portkey-openai", "direct-openai")]
        worst = {}
        for name, t, base in spec:
            r = S(t)
            if not r:
                continue
            b = S(base) if base else {}
            a50, a99 = (added(r, b, "p50"), added(r, b, "p99")) if base else (None, None)
            gap = r.get("max_gap_max_us")
            worst[t] = gap
            errs = int(r.get("http_errors", 0) + r.get("io_errors", 0) + r.get("unfinished", 0))
            rows.append([name, us(r.get("ttft_p50_us")), us(r.get("ttft_p99_us")),
                         by_slice(slice_values(R, "streaming", t, "ttft_p99_us")), us(a50) if base else "",
                         us(a99) if base else "", ratio(a99, ng99) if base else "", ms(r.get("max_gap_p99_us")), ms(gap),
                         ratio(gap, worst.get("nginx-openai")) if t != "nginx-openai" else "",
                         cpu_per(r, int(meta.get("st_events", 0) or 0)), f"{int(r.get('ok', 0))}/{errs}"])
            if t in ("interactions-openai", "sessions-openai", "interactions-anthropic"):
                if a99 is not None:
                    targets.append((f"Added TTFT p99, {name.replace('interlingua ', '')} ≤ 200 µs", us(a99),
                                    added_verdict(a99, 200)))
                if num(gap):
                    targets.append((f"No gap over 100 ms between deltas, {name.replace('interlingua ', '')}", ms(gap),
                                    verdict(gap <= 100000, "" if gap <= 100000 else f"by {(gap - 100000) / 1000:,.1f} ms")))
        md.append(f"### 3. Streaming: {meta.get('st_events')} deltas {meta.get('st_gap_ms')} ms apart\n")
        md.append(f"Open loop at {meta.get('st_rate')} streams/s for {meta.get('st_duration')} s per row (about "
                  f"{float(meta.get('st_rate', 0)) * int(meta.get('st_events', 0)) * int(meta.get('st_gap_ms', 0)) / 1000:.0f} streams open at once). "
                  + rounds_text(meta.get("st_rounds"), meta.get("st_duration"), "Portkey's row") +
                  "Time to first token (TTFT) = scheduled send → first SSE event containing the first delta's text "
                  "(`t00`); the role-only first chunk does not count. Gap = largest time between two consecutive SSE events of a stream, from its first event to the one carrying the last delta (`t63`), so the end-of-stream bookkeeping (usage chunk, `[DONE]`) is not counted. CPU per delta = the proxy's CPU over the row's run ÷ (streams × deltas): a stream's whole cost, its set-up included, spread over its deltas.\n")
        noise = machine_noise(R, "streaming", f"{float(meta.get('st_duration', 0)) / int(meta.get('st_rounds') or 1):g} s")
        if noise:
            md.append(f"Machine noise in this scenario: {noise}.\n")
        md.append(table(["Path", "TTFT p50", "TTFT p99", "TTFT p99 by slice: median (range)", "added p50", "added p99", "added p99 ÷ nginx",
                         "worst gap p99", "worst gap", "worst gap ÷ nginx", "CPU per delta", "ok/errors"], rows))
        md.append("")

    # --- 4/5. held streams and memory ----------------------------------------------------
    H = [k[1] for k in R if k[0] == "hold"]
    mem = {k[1]: v for k, v in R.items() if k[0] == "memory"}
    # memory rows are keyed by the hold target names; idle rows by process name
    proc_of = {"interactions-openai": "interlingua", "nginx-openai": "nginx", "portkey-openai": "portkey",
               "interactions-openai-tls": "interlingua", "nginx-openai-tls": "nginx"}
    # Each row is compared with nginx on the same kind of upstream: plain HTTP, or TLS.
    nginx_of = lambda t: "nginx-openai-tls" if t.endswith("-tls") else "nginx-openai"
    hold_rows = [("direct-openai", "fake provider direct"), ("nginx-openai", "nginx → OpenAI"),
                 ("interactions-openai", "interlingua Interactions → OpenAI"), ("portkey-openai", "Portkey → OpenAI"),
                 ("nginx-openai-tls", "nginx → OpenAI, TLS upstream"),
                 ("interactions-openai-tls", "interlingua Interactions → OpenAI, TLS upstream")]

    def reached(t):
        r = get("hold", t)
        return r.get("max_receiving", 0) if r.get("first_stall_at", -1) < 0 else max(0, r.get("first_stall_at", 0))

    if H:
        rows = []
        for t, label in hold_rows:
            r = get("hold", t)
            if not r:
                continue
            rows.append([label, f"{int(r.get('target_streams', 0)):,}", f"{int(r.get('max_receiving', 0)):,}",
                         "none" if r.get("first_stall_at", -1) < 0 else f"{int(r['first_stall_at']):,} open",
                         int(r.get("stalls", 0)), ms(r.get("max_gap_us")), us(r.get("ttfe_p99_us")),
                         int(r.get("errors", 0) + r.get("connect_failures", 0)),
                         ratio(reached(t), reached(nginx_of(t))) if not t.startswith("nginx") else ""])
            if t == "interactions-openai":
                ok = r.get("first_stall_at", -1) < 0 and r.get("max_receiving", 0) >= 5000
                targets.append(("≥ 5,000 concurrent streams without a stall",
                                f"{int(r.get('max_receiving', 0)):,} streams, {int(r.get('stalls', 0))} stalls (of {int(r.get('target_streams', 0)):,} tried)",
                                verdict(ok, "" if ok else ("first stall with %d open" % r["first_stall_at"] if r.get("first_stall_at", -1) >= 0 else "fewer than 5,000 reached"))))
        md.append("### 4. Concurrent streams held open\n")
        md.append(f"One client process opens up to {int(float(meta.get('hold_streams', 0))):,} SSE streams (one connection each) at "
                  f"{meta.get('hold_ramp')}/s and holds them {meta.get('hold_seconds')} s; the upstream sends one event every "
                  f"{meta.get('hold_pace_ms')} ms. A stall is an event gap (or a silence) over pace + {meta.get('hold_stall_ms')} ms; "
                  "the client stops opening streams at the first stall."
                  + (f" The TLS rows open theirs at {meta['hold_tls_ramp']}/s: at 800 new TLS 1.3 connections a second "
                     "this machine is at its edge for both proxies (a handshake is about 2.2M instructions on each side), "
                     "and these rows are there for what a held stream costs." if meta.get("hold_tls_ramp") else "") + "\n")
        md.append(table(["Target", "tried", "receiving at peak", "first stall", "stalls", "worst gap",
                         "first event p99", "errors", "streams ÷ nginx"], rows))
        md.append("")

    if mem:
        rows = []

        def per_stream(t):
            m, streams = mem.get(t, {}), get("hold", t).get("max_receiving", 0)
            if streams and num(m.get("peak_kb")) and num(m.get("before_hold_kb")):
                return (m["peak_kb"] - m["before_hold_kb"]) / streams
            return None

        for t, label in [("interactions-openai", "interlingua"), ("nginx-openai", "nginx (master + workers)"),
                         ("portkey-openai", "Portkey (node)"), ("interactions-openai-tls", "interlingua, TLS upstream"),
                         ("nginx-openai-tls", "nginx, TLS upstream")]:
            if t not in mem:
                continue
            m = dict(mem.get(proc_of[t], {}))
            m.update(mem.get(t, {}))
            streams = get("hold", t).get("max_receiving", 0)
            per = per_stream(t)
            ng_per = per_stream(nginx_of(t))
            # "After" is compared with the warm idle (after one request per route).
            base_key, base_anon_key = "warm_kb", "warm_anon_kb"
            after_vs = lambda key: (m["after_kb"] / m[key] - 1) * 100 if num(m.get("after_kb")) and m.get(key) else None
            after_vs_idle = after_vs(base_key)
            after_vs_cold = after_vs("idle_kb")
            anon = "–"
            if num(m.get(base_anon_key)) and num(m.get("after_anon_kb")):
                anon = f"{mb(m[base_anon_key])} → {mb(m.get('before_hold_anon_kb'))} → {mb(m['after_anon_kb'])}"
            rows.append([label, mb(m.get("idle_kb")), mb(m.get("warm_kb")), mb(m.get("before_hold_kb")), mb(m.get("peak_kb")),
                         f"{int(streams):,}", f"{per:,.1f} KB" if per is not None else "–", mb(m.get("after_kb")),
                         f"{after_vs_idle:+.0f}%" if after_vs_idle is not None else "–",
                         f"{after_vs_cold:+.0f}%" if after_vs_cold is not None else "–", anon,
                         ratio(m.get(base_key), mem.get("nginx", {}).get(base_key)) if not t.startswith("nginx") else "",
                         ratio(per, ng_per) if not t.startswith("nginx") and per is not None else ""])

            def after_target(name):
                measured = f"{after_vs_idle:+.0f}% ({mb(m.get('after_kb'))} against {mb(m.get(base_key))})"
                if after_vs_cold is not None:
                    measured += f"; {after_vs_cold:+.0f}% of the cold idle"
                if num(m.get(base_anon_key)) and num(m.get("after_anon_kb")):
                    measured += f"; anonymous {mb(m[base_anon_key])} → {mb(m['after_anon_kb'])}"
                targets.append((name, measured, verdict(after_vs_idle <= 10, "" if after_vs_idle <= 10 else f"by {after_vs_idle - 10:.0f} points")))

            if t == "interactions-openai-tls":
                if per is not None:
                    targets.append(("≤ 40 KB RSS per open stream, TLS upstream", f"{per:,.1f} KB",
                                    verdict(per <= 40, "" if per <= 40 else f"by {per - 40:,.1f} KB, {per / 40:.1f}× the goal")))
                if after_vs_idle is not None:
                    after_target(f"RSS {meta.get('after_seconds')} s after load within 10% of idle, TLS upstream (after both holds)")
            if t == "interactions-openai":
                idle = m.get(base_key, 0)
                idle_text = f"{mb(idle)} warm ({mb(m.get('idle_kb'))} cold)"
                targets.append(("≤ 20 MB RSS idle", idle_text, verdict(idle <= 20480, "" if idle <= 20480 else f"by {(idle - 20480) / 1024:.1f} MB")))
                if per is not None:
                    targets.append(("≤ 40 KB RSS per open stream", f"{per:,.1f} KB", verdict(per <= 40, "" if per <= 40 else f"by {per - 40:,.1f} KB, {per / 40:.1f}× the goal")))
                if after_vs_idle is not None:
                    after_target(f"RSS {meta.get('after_seconds')} s after load within 10% of idle")
        md.append("### 5. Memory (RSS)\n")
        md.append(f"Cold idle = after start-up, before any request to an upstream. Warm idle = at rest 3 s after the smoke check, "
                  f"which sends one request on each route (the TLS upstream's included): the code a request pages in and what "
                  f"the libraries build on first use (OpenSSL's per-thread state and algorithm caches) are resident, as in a "
                  f"deployed proxy at rest. Before = at rest just before the held-streams run (after scenarios 1–3). "
                  f"Peak = highest RSS sampled every 0.5 s while the streams are held. Per stream = (peak − before) ÷ streams receiving. "
                  f"After = {meta.get('after_seconds')} s after the held-streams load ended; the TLS rows run after the plain ones, "
                  f"so their \"after\" is after both. After vs idle is against the warm idle, and against the cold one in the next column. "
                  f"Anonymous = the part of RSS that is the process's own memory (heap, stacks), at warm idle → before hold → after; "
                  f"the rest is code and libraries paged in from their files.\n")
        md.append(table(["Process", "cold idle", "warm idle", "before hold", "peak", "streams", "per stream", f"after {meta.get('after_seconds')} s",
                         "after vs idle", "vs cold idle", "anonymous", "idle ÷ nginx", "per stream ÷ nginx"], rows))
        md.append("")
        phases = {k[1]: v for k, v in R.items() if k[0] == "memory_phase"}
        if phases:
            idle = mem.get("interlingua", {})
            steps = [f"cold idle {mb(idle.get('idle_kb'))} ({mb(idle.get('idle_anon_kb'))})"] if num(idle.get("idle_kb")) else []
            if num(idle.get("warm_kb")):
                steps.append(f"warm idle {mb(idle.get('warm_kb'))} ({mb(idle.get('warm_anon_kb'))})")
            for ph, name in [("latency", "1"), ("throughput", "2"), ("streaming", "3")]:
                if ph in phases:
                    steps.append(f"after {name}. {mb(phases[ph].get('rss_kb'))} ({mb(phases[ph].get('anon_kb'))})")
            md.append("interlingua at rest, 3 s after each scenario, RSS (anonymous): " + "; ".join(steps) + ". "
                      "Scenario 2 leaves its pooled upstream connections open until their 60 s idle timeout.\n")

    if targets:
        md.append("### Targets (2-core machine)\n")
        md.append(table(["Target", "Measured", "Verdict"], [list(t) for t in targets]))
        md.append("")

    plot_ok = make_plot(a.work, a.plot, R)
    if plot_ok:
        md.append(f"![latency percentiles](latency.png)\n\n`latency.png`: left, unary latency by percentile "
                  "(scenario 1, from the scheduled send time); right, streaming time to first token (scenario 3).\n")

    generated = "\n".join(md).rstrip() + "\n"
    print(re.sub(r"<[^>]+>", "", generated))
    write_results(a.out, generated, history_row(meta, R, when, quick))


def history_row(meta, R, when, quick):
    if quick:
        return None
    g = lambda s, t, k: R.get((s, t), {}).get(k)
    def diff(s, t, b, k):
        x, y = g(s, t, k), g(s, b, k)
        return x - y if isinstance(x, (int, float)) and isinstance(y, (int, float)) else None
    a99 = diff("latency", "interactions-openai", "direct-openai", "latency_p99_us")
    n99 = diff("latency", "nginx-openai", "direct-openai", "latency_p99_us")
    tp, tpn = g("throughput", "interactions-openai@256", "frontier_rps"), g("throughput", "nginx-openai@256", "frontier_rps")
    t99 = diff("streaming", "interactions-openai", "direct-openai", "ttft_p99_us")
    hold = R.get(("hold", "interactions-openai"), {})
    mem = R.get(("memory", "interlingua"), {})
    memh = R.get(("memory", "interactions-openai"), {})
    per = None
    if hold.get("max_receiving") and num(memh.get("peak_kb")) and num(memh.get("before_hold_kb")):
        per = (memh["peak_kb"] - memh["before_hold_kb"]) / hold["max_receiving"]
    cells = [when, meta.get("commit", "?") + ("+wip" if meta.get("dirty", "0") != "0" else ""), us(a99), ratio(a99, n99),
             f"{tp:,.0f} ({ratio(tp, tpn)})" if isinstance(tp, (int, float)) else "–", us(t99),
             f"{int(hold.get('max_receiving', 0)):,}" + (" (stall)" if hold.get("first_stall_at", -1) >= 0 else ""),
             mb(mem.get("idle_kb")), f"{per:,.1f} KB" if per is not None else "–", meta.get("note", "")]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def write_results(path, generated, hist):
    text = open(path).read() if os.path.exists(path) else ""
    if BEGIN not in text:
        text = ("# Benchmark results\n\nWritten by `bench/run` (see bench/README.md). The part between the "
                "`generated` markers is replaced on every run; the history table gains one row per full run; "
                "the rest is written by hand.\n\n" + BEGIN + "\n" + END + "\n\n## History (full runs)\n\n" + HBEGIN + "\n" +
                "| Run | Commit | Added p99 (Interactions→OpenAI) | ÷ nginx | rps @256 (÷ nginx) | Added TTFT p99 | Streams held | RSS idle | RSS/stream | Note |\n"
                "|---|---|---|---|---|---|---|---|---|---|\n" + HEND + "\n")
    pre, rest = text.split(BEGIN, 1)
    _, post = rest.split(END, 1)
    text = pre + BEGIN + "\n" + generated + END + post
    if hist and HBEGIN in text and HEND in text:
        pre, rest = text.split(HBEGIN, 1)
        body, post = rest.split(HEND, 1)
        text = pre + HBEGIN + body.rstrip("\n") + "\n" + hist + "\n" + HEND + post
    open(path, "w").write(text)


def make_plot(work, out, R):
    if not shutil.which("gnuplot"):
        print("gnuplot not installed: no plot", file=sys.stderr)
        return False
    lat = [("direct-openai", "fake direct (OpenAI)"), ("nginx-openai", "nginx"),
           ("interactions-openai", "interlingua Interactions→OpenAI"), ("sessions-openai", "interlingua Sessions→OpenAI"),
           ("interactions-anthropic", "interlingua Interactions→Anthropic"), ("portkey-openai", "Portkey")]
    st = [("direct-openai", "fake direct (OpenAI)"), ("nginx-openai", "nginx"),
          ("interactions-openai", "interlingua Interactions→OpenAI"), ("sessions-openai", "interlingua Sessions→OpenAI"),
          ("interactions-anthropic", "interlingua Interactions→Anthropic"), ("portkey-openai", "Portkey")]

    def series(prefix, items):
        parts = []
        for t, label in items:
            f = os.path.join(work, f"hist-{prefix}-{t}.dat")
            if os.path.exists(f) and os.path.getsize(f) > 0:
                # the last sample closes quantile 1, which has no place on a 1/(1-q) axis
                g = f + ".plot"
                with open(f) as src, open(g, "w") as dst:
                    dst.writelines(line for line in src if float(line.split()[0]) < 1.0)
                parts.append(f"'{g}' using (1/(1-$1)):2 with lines lw 2 title '{label}'")
        return parts

    a, b = series("latency", lat), series("ttft", st)
    if not a and not b:
        return False
    xt = "set xtics ('0%%' 1, '50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000)"
    script = [f"set terminal pngcairo size 1600,650 font ',10'" if _has_cairo() else "set terminal png size 1600,650",
              f"set output '{out}'", "set multiplot layout 1,2", "set logscale x", "set logscale y",
              xt, "set grid", "set key top left", "set xlabel 'percentile'"]
    if a:
        script += ["set title 'Unary latency, zero-delay upstream (open loop, from scheduled send)'",
                   "set ylabel 'latency (µs)'", "plot " + ", ".join(a)]
    if b:
        script += ["set title 'Streaming time to first token, 20 ms pacing'", "set ylabel 'TTFT (µs)'",
                   "plot " + ", ".join(b)]
    script.append("unset multiplot")
    path = os.path.join(work, "plot.gp")
    open(path, "w").write("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", path], capture_output=True, text=True)
    if r.returncode != 0:
        print("gnuplot failed: " + r.stderr[-2000:], file=sys.stderr)
        return False
    return True


def _has_cairo():
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (r.stdout + r.stderr)


if __name__ == "__main__":
    main()
