#!/usr/bin/env python3
"""Summarize `perf report --no-children -g none --sort dso,symbol --stdio` output (stdin):
self time by category (kernel, allocator, JSON, Asio/Beast, SQLite, gateway code, ...) and the
top symbols with their template arguments shortened. Used by `BENCH_PROFILE=1 bench/run`."""

import re
import sys

CATEGORIES = [
    ("kernel (syscalls, scheduler, TCP)", lambda dso, sym: dso.startswith("[kernel")),
    ("malloc/free", lambda dso, sym: "jemalloc" in dso or re.search(r"\b(_?int_)?(malloc|free|realloc|calloc|cfree)|malloc_consolidate|operator new|operator delete|tcache", sym)),
    ("nlohmann::json parse", lambda dso, sym: "nlohmann" in sym and re.search(r"lexer|parser|from_json|get_", sym)),
    ("nlohmann::json dump", lambda dso, sym: "nlohmann" in sym and "serializer" in sym),
    ("nlohmann::json other (build, copy, destroy)", lambda dso, sym: "nlohmann" in sym),
    ("Beast HTTP (parser, serializer, buffers)", lambda dso, sym: "beast" in sym),
    ("Asio (executors, handlers, scheduler)", lambda dso, sym: "asio" in sym),
    ("SQLite", lambda dso, sym: "sqlite" in dso.lower() or "sqlite" in sym.lower()),
    ("spdlog / fmt", lambda dso, sym: "spdlog" in sym or "fmt::" in sym),
    ("libc string/memory", lambda dso, sym: dso.startswith("libc") and re.search(r"mem|str", sym)),
    ("std library (strings, maps)", lambda dso, sym: "libstdc++" in dso or sym.startswith("std::")),
    ("interlingua code", lambda dso, sym: "interlingua" in sym),
    ("other", lambda dso, sym: True),
]


def shorten(sym, width=150):
    # drop template arguments: boost::asio::detail::foo<...>::bar<...> -> foo<…>::bar<…>
    out, depth = [], 0
    for ch in sym:
        if ch == "<":
            if depth == 0:
                out.append("<…>")
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    s = "".join(out).replace("<…>(", "(")
    return s if len(s) <= width else s[: width - 1] + "…"


def main():
    rows = []
    for line in sys.stdin:
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*\S)\s*$", line)
        if m:
            sym = re.sub(r"(\s+-)+\s*$", "", m.group(3)).strip()  # IPC columns, when present
            rows.append((float(m.group(1)), m.group(2), sym))
    total = sum(r[0] for r in rows) or 1
    cats = {}
    for pct, dso, sym in rows:
        for name, match in CATEGORIES:
            if match(dso, shorten(sym, 10000)):
                cats[name] = cats.get(name, 0) + pct
                break
    print("Self time by category (% of the gateway's samples):")
    for name, pct in sorted(cats.items(), key=lambda x: -x[1]):
        print(f"  {pct * 100 / total:5.1f}%  {name}")
    print("\nTop symbols (self):")
    for pct, dso, sym in rows[:40]:
        print(f"  {pct:5.2f}%  {dso:<22} {shorten(sym)}")


if __name__ == "__main__":
    main()
