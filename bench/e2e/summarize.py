#!/usr/bin/env python3
"""Turns run.sh's result lines into a side-by-side Markdown table.

Each cell is the median over the repetitions, then [min-max]; a run whose
load client exited non-zero is left out of the numbers and counted in the
"failed runs" row, so a failure is never hidden behind a median.
"""
import statistics
import sys

# (workload, key in the RESULT line, row label, scale, decimals)
ROWS = [
    ("rate", "relayed_per_s", "fixed rate: relayed packets/s", 1, 0),
    ("rate", "loss_pct", "fixed rate: loss %", 1, 3),
    ("rate", "cpu_us_per_relayed", "fixed rate: server CPU µs per relayed packet", 1, 2),
    ("rate", "peak_rss_kib", "fixed rate: peak RSS (MiB)", 1 / 1024, 1),
    ("max", "relayed_per_s", "max rate: relayed packets/s", 1, 0),
    ("max", "loss_pct", "max rate: loss %", 1, 3),
    ("max", "cpu_us_per_relayed", "max rate: server CPU µs per relayed packet", 1, 2),
    ("max", "peak_rss_kib", "max rate: peak RSS (MiB)", 1 / 1024, 1),
    ("max", "cpu_s", "max rate: server CPU s (of 2 cores × run time)", 1, 2),
    ("max", "load_client_cpu_s", "max rate: load client CPU s", 1, 2),
    ("alloc1k", "allocs_per_s", "1,000 allocations: allocations/s", 1, 0),
    ("alloc1k", "bytes_per_alloc", "1,000 allocations: RSS bytes per allocation", 1, 0),
    ("alloc1k", "cpu_us_per_alloc", "1,000 allocations: server CPU µs per allocation", 1, 0),
    ("alloc10k", "allocs_per_s", "10,000 allocations: allocations/s", 1, 0),
    ("alloc10k", "bytes_per_alloc", "10,000 allocations: RSS bytes per allocation", 1, 0),
    ("alloc10k", "cpu_us_per_alloc", "10,000 allocations: server CPU µs per allocation", 1, 0),
    ("alloc10k", "rss_after_kib", "10,000 allocations: RSS after (MiB)", 1 / 1024, 1),
]


def parse(path):
    runs = []
    with open(path, encoding="utf-8") as results:
        for line in results:
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if fields:
                runs.append(fields)
    return runs


def cell(values, scale, decimals):
    if not values:
        return "—"
    values = [v * scale for v in values]
    text = f"{statistics.median(values):,.{decimals}f}"
    if len(values) > 1:
        text += f" [{min(values):,.{decimals}f}–{max(values):,.{decimals}f}]"
    return text


def main():
    runs = parse(sys.argv[1])
    servers = []
    for run in runs:
        if run["server"] not in servers:
            servers.append(run["server"])
    print("| metric | " + " | ".join(servers) + " |")
    print("| --- |" + " ---: |" * len(servers))
    workloads = {run["workload"] for run in runs}
    for workload, key, label, scale, decimals in ROWS:
        if workload not in workloads:
            continue
        cells = []
        for server in servers:
            values = [float(r[key]) for r in runs
                      if r["server"] == server and r["workload"] == workload
                      and r["status"] == "0" and key in r]
            cells.append(cell(values, scale, decimals))
        print(f"| {label} | " + " | ".join(cells) + " |")
    failed = [sum(1 for r in runs if r["server"] == s and r["status"] != "0")
              for s in servers]
    print("| failed runs (load client exit != 0) | "
          + " | ".join(str(f) for f in failed) + " |")
    threads = [",".join(sorted({r["threads"] for r in runs if r["server"] == s}))
               for s in servers]
    print("| server threads | " + " | ".join(threads) + " |")


if __name__ == "__main__":
    main()
