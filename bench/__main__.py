"""Command line: run the benchmarks, print the table, merge the figures into bench/results.json."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    discord_bench,
    engine_bench,
    http_bench,
    index_bench,
    memory_bench,
    paid_bench,
    real_bench,
    render_bench,
    search_bench,
)
from bench.index_bench import BenchError, Context
from bench.report import CpuMeter, Row, load_results, machine_info, merge_results, render_table

HERE = Path(__file__).resolve().parent
BUSY_NEIGHBOURS = 0.25  # CPUs used by other processes above which timings are flagged
FULL_POSTS = 10_000
QUICK_POSTS = 1_000

# Run in this order: `rescan` reuses the database `cold_index` leaves behind; `rescan_refused`
# indexes its own tree first. The broadcast ones wait on pacing and subprocesses: `pacing` alone
# takes ~3.5 minutes at full size (2 × 100 s),
# `discord` ~1.5 minutes (ours ~42 s, discord.py alone ~45 s).
BENCHMARKS: dict[str, Callable[[Context], list[Row]]] = {
    "cold_index": index_bench.cold_index,
    "rescan": index_bench.rescan,
    "parse": index_bench.parse,
    "cold_index_real": real_bench.cold_index_real,
    "rescan_refused": real_bench.rescan_refused,
    "pacing": engine_bench.pacing,
    "discord": discord_bench.discord_ceiling,
    "engine": engine_bench.engine,
    "saved_to_sent": engine_bench.saved_to_sent,
    "http": http_bench.http,
    "paid": paid_bench.paid,
    "memory": memory_bench.memory,
    "render_full": render_bench.render_full_post,
    "search": search_bench.latest_search,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"smoke run on {QUICK_POSTS:,} posts and smaller broadcasts"
    )
    parser.add_argument("--results", type=Path, default=HERE / "results.json", help="JSON file to merge into")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave the JSON alone")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    if not args.no_write:
        load_results(args.results)  # fail now, not after minutes of benchmarking
    ctx = Context(work=HERE / "work", posts=QUICK_POSTS if args.quick else FULL_POSTS, quick=args.quick)
    ctx.work.mkdir(parents=True, exist_ok=True)
    chosen = [name for name in BENCHMARKS if not args.only or name in args.only]
    machine = machine_info()
    print(
        f"{machine['cpu_model']}, {machine['cpu_usable']} usable of {machine['cpu_count']} CPUs, "
        f"Python {machine['python']}, calibration loop {machine['calibration_ms']:.1f} ms, "
        f"{ctx.posts:,} posts{' (quick)' if args.quick else ''}",
        flush=True,
    )

    rows: list[Row] = []
    failed: list[str] = []
    disturbed: list[str] = []
    for name in chosen:
        print(f"running {name} ...", end=" ", flush=True)
        start, meter = time.perf_counter(), CpuMeter.start()
        try:
            produced = BENCHMARKS[name](ctx)
        except BenchError as exc:
            # A wrong result is not a timing: report it, keep going, write only what is sound.
            print("FAILED", flush=True)
            print(f"{name}: {exc}", file=sys.stderr)
            failed.append(name)
            continue
        others = meter.others()
        line = f"{time.perf_counter() - start:.1f}s"
        if others is not None:
            line += f" (other processes used {others:.2f} CPUs meanwhile)"
            if others > BUSY_NEIGHBOURS:
                disturbed.append(name)
        print(line, flush=True)
        for row in produced:
            row.extra["background_cpus"] = None if others is None else round(others, 2)
        rows += produced

    print()
    print(render_table(rows))
    if disturbed:
        print(
            f"\nWARNING: other processes kept over {BUSY_NEIGHBOURS} CPUs busy during "
            f"{', '.join(disturbed)}; those wall-clock figures are inflated. Re-run on an idle machine.",
        )
    if not args.no_write:
        merge_results(args.results, machine, rows, {"posts": ctx.posts}, quick=ctx.quick)
        print(f"\nwrote {args.results}")
    if failed:
        print(f"\nbenchmarks that did not check out: {', '.join(failed)}", file=sys.stderr)
        return 2
    missed = [row.key for row in rows if row.passed is False and row.record]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
