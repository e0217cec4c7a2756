"""Indexing benchmarks on a Chinese-math-blog-shaped Hugo site (bench/real_corpus.py).

cold_index_real: the first scan of 10,000 posts of 8-15 KB into a fresh SQLite database.
rescan_refused: the same posts plus 500 files the indexer must refuse (bad YAML, unclosed front
matter, bad dates, non-UTF-8 bytes, duplicate slugs); after a first scan, the median of unchanged
rescans. A refused file that has not changed should cost a stat, not a parse: the rows say how many
files each rescan parsed, whatever the indexer does.

As in bench/index_bench.py: only the bot's public entry points (build_app, App.prepare, App.scan,
App.close), the corpus read once before timing, `perf_counter` around `App.scan` only. The CPU
time is this process's plus that of its child processes (the parser workers), read from /proc.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
from dataclasses import dataclass

from bench.index_bench import (
    COLD_TARGET_S,
    RESCAN_RUNS,
    RESCAN_TARGET_MS,
    BenchError,
    Context,
    Stopwatch,
    _open_app,
    _remove_database,
    _warm_page_cache,
)
from bench.real_corpus import RealCorpus, ensure_real_corpus, ensure_refused_corpus
from bench.report import Row
from bot.app import App
from bot.index.indexer import ScanReport

BROKEN_SHARE = 20  # one broken file per 20 posts: 500 for 10,000, 50 for --quick's 1,000


def real_corpus(ctx: Context) -> RealCorpus:
    return ensure_real_corpus(ctx.work / f"real-{ctx.label}", ctx.posts)


def refused_corpus(ctx: Context) -> RealCorpus:
    broken = ctx.posts // BROKEN_SHARE
    return ensure_refused_corpus(ctx.work / f"real-refused-{ctx.label}", real_corpus(ctx), broken)


@dataclass(slots=True)
class ChildCpu:
    """CPU seconds used by this process's descendants (Linux /proc; None elsewhere)."""

    start: dict[int, tuple[int, float]]

    @classmethod
    def begin(cls) -> ChildCpu:
        return cls(_descendants())

    def used(self) -> float | None:
        """CPU used since `begin` by descendants alive now (the parser workers live until close)."""
        if not os.path.isdir("/proc/self"):
            return None
        total = 0.0
        for pid, (started, cpu) in _descendants().items():
            before = self.start.get(pid)
            total += cpu - (before[1] if before is not None and before[0] == started else 0.0)
        return total


def _descendants() -> dict[int, tuple[int, float]]:
    """pid -> (start time in ticks, user+system CPU seconds) of every descendant of this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, int, float]] = {}  # pid -> (ppid, start, cpu)
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue  # gone meanwhile
        fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) ": state, ppid, ...
        try:
            ppid, utime, stime, start = int(fields[1]), int(fields[11]), int(fields[12]), int(fields[19])
        except (IndexError, ValueError):
            continue
        stats[int(entry)] = (ppid, start, (utime + stime) / ticks)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found: dict[int, tuple[int, float]] = {}
    pending = list(children.get(os.getpid(), []))
    while pending:
        pid = pending.pop()
        found[pid] = stats[pid][1:]
        pending += children.get(pid, [])
    return found


def _cpu_note(own: float, children: float | None) -> str:
    if children is None:
        return f"cpu {own:.2f} s"
    return f"cpu {own + children:.2f} s ({own:.2f} s here + {children:.2f} s in parser processes)"


def _refusals(report: ScanReport) -> str:
    kinds: dict[str, int] = {}
    for _, error in report.invalid:
        reason = re.split(r":| '| \(| at line", error, maxsplit=1)[0][:40]
        kinds[reason] = kinds.get(reason, 0) + 1
    return ", ".join(f"{count} {reason}" for reason, count in sorted(kinds.items(), key=lambda kv: -kv[1]))


def _check(report: ScanReport, posts: int, refused: int, what: str) -> None:
    if report.indexed != posts or len(report.invalid) != refused or report.skipped:
        raise BenchError(
            f"{what}: indexed {report.indexed} of {posts} posts, {len(report.invalid)} refused "
            f"(want {refused}: {_refusals(report) or 'none'}; first: {report.invalid[:3]}), "
            f"{len(report.skipped)} skipped as pages (first: {report.skipped[:3]})"
        )


def cold_index_real(ctx: Context) -> list[Row]:
    """Time the first scan of the Chinese-math-blog corpus into a fresh SQLite database."""
    corpus = real_corpus(ctx)
    _warm_page_cache(corpus.root)
    database = ctx.work / f"db-real-{ctx.label}" / "bench.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    _remove_database(database)

    async def run() -> tuple[Stopwatch, float | None, ScanReport]:
        app = _open_app(corpus.root, database)
        try:
            await app.prepare()
            children = ChildCpu.begin()
            with Stopwatch() as watch:
                report = await app.scan()
            child_cpu = children.used()  # before close: the parser workers are still alive
        finally:
            await app.close()
        return watch, child_cpu, report

    watch, child_cpu, report = asyncio.run(run())
    _check(report, ctx.posts, 0, "cold index (real)")
    if report.parsed_files != ctx.posts or len(report.new) != ctx.posts:
        raise BenchError(f"cold index parsed {report.parsed_files}, new {len(report.new)}, want {ctx.posts}")
    total_cpu = watch.cpu + (child_cpu or 0.0)
    return [
        Row(
            f"cold_index_{ctx.label}_real_s",
            watch.wall,
            "s",
            target=COLD_TARGET_S * ctx.scale,
            samples=[watch.wall],
            note=f"{ctx.posts} Chinese math posts (8-15 KB, CJK-adjacent $…$, environments, code after "
            f"2,000 chars), {corpus.total_bytes / 2**20:.1f} MiB; {watch.wall / ctx.posts * 1000:.2f} "
            f"ms/post; {_cpu_note(watch.cpu, child_cpu)}",
            extra={
                "cpu_s": round(watch.cpu, 3),
                "parser_cpu_s": None if child_cpu is None else round(child_cpu, 3),
                "total_cpu_s": round(total_cpu, 3),
                "mib": round(corpus.total_bytes / 2**20, 1),
            },
        )
    ]


@dataclass(slots=True)
class Rescans:
    """Unchanged rescans of one tree: wall times, median CPU, files each one parsed."""

    walls_ms: list[float]
    cpu_ms: float
    parser_cpu_ms: float | None
    parsed: list[int]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.walls_ms)


async def _time_rescans(app: App, posts: int, refused: int, what: str) -> Rescans:
    watches, child_cpus, parsed = [], [], []
    for _ in range(RESCAN_RUNS):
        children = ChildCpu.begin()
        with Stopwatch() as watch:
            report = await app.scan()
        child_cpus.append(children.used())
        watches.append(watch)
        _check(report, posts, refused, what)
        if report.new or report.changed or report.removed:
            raise BenchError(
                f"{what} of an unchanged folder found {len(report.new)} new, "
                f"{len(report.changed)} changed, {len(report.removed)} removed"
            )
        # Not an error: parsing refused files again is what this benchmark exposes.
        parsed.append(report.parsed_files)
    known = [c for c in child_cpus if c is not None]
    return Rescans(
        walls_ms=[w.wall * 1000 for w in watches],
        cpu_ms=statistics.median(w.cpu * 1000 for w in watches),
        parser_cpu_ms=statistics.median(known) * 1000 if known else None,
        parsed=parsed,
    )


def rescan_refused(ctx: Context) -> list[Row]:
    """Time unchanged rescans of the corpus plus refused files (median of RESCAN_RUNS).

    Baseline: the same rescans of the clean tree, in the database `cold_index_real` leaves behind
    (indexed here, untimed, when that benchmark did not run).
    """
    clean = real_corpus(ctx)
    corpus = refused_corpus(ctx)
    _warm_page_cache(corpus.root)  # hard links: this warms the clean tree too
    clean_database = ctx.work / f"db-real-{ctx.label}" / "bench.db"
    database = ctx.work / f"db-real-refused-{ctx.label}" / "bench.db"
    for folder in (clean_database.parent, database.parent):
        folder.mkdir(parents=True, exist_ok=True)
    _remove_database(database)

    async def run() -> tuple[Rescans, Stopwatch, ScanReport, Rescans]:
        app = _open_app(clean.root, clean_database)
        try:
            await app.prepare()
            _check(await app.scan(), clean.posts, 0, "baseline set-up")
            baseline = await _time_rescans(app, clean.posts, 0, "baseline rescan")
        finally:
            await app.close()
        app = _open_app(corpus.root, database)
        try:
            await app.prepare()
            # The first scan is a cold index with refusals: in the note, not the figure.
            with Stopwatch() as first_watch:
                first = await app.scan()
            _check(first, corpus.posts, corpus.broken, "first scan (with refused files)")
            timed = await _time_rescans(app, corpus.posts, corpus.broken, "rescan (with refused files)")
        finally:
            await app.close()
        return baseline, first_watch, first, timed

    baseline, first_watch, first, timed = asyncio.run(run())
    samples = timed.walls_ms
    reparsed = max(timed.parsed)
    parsed_note = (
        "no file parsed again"
        if reparsed == 0
        else f"re-parsed {reparsed} of {corpus.broken} refused files on every rescan"
        if min(timed.parsed) == reparsed
        else f"re-parsed {min(timed.parsed)}-{reparsed} files per rescan"
    )
    cpu_note = f"cpu {timed.cpu_ms:.0f} ms" + (
        "" if timed.parser_cpu_ms is None else f" + {timed.parser_cpu_ms:.0f} ms in parser processes"
    )
    return [
        Row(
            f"rescan_{ctx.label}_with_{corpus.broken}_refused_ms",
            timed.median_ms,
            "ms",
            target=RESCAN_TARGET_MS * ctx.scale,
            baseline=baseline.median_ms,
            samples=samples,
            note=f"{corpus.posts} posts + {corpus.broken} refused ({_refusals(first)}); median of "
            f"{RESCAN_RUNS}, range {min(samples):.0f}-{max(samples):.0f} ms; {parsed_note}; {cpu_note}; "
            f"first scan {first_watch.wall:.1f} s; baseline: the same posts without the refused files, "
            f"{baseline.median_ms:.0f} ms (cpu {baseline.cpu_ms:.0f} ms)",
            extra={
                "cpu_ms": round(timed.cpu_ms, 2),
                "parser_cpu_ms": None if timed.parser_cpu_ms is None else round(timed.parser_cpu_ms, 2),
                "parsed_files_per_rescan": timed.parsed,
                "refused": corpus.broken,
                "first_scan_s": round(first_watch.wall, 3),
                "first_scan_cpu_s": round(first_watch.cpu, 3),
                "baseline_samples": [round(s, 3) for s in baseline.walls_ms],
                "baseline_cpu_ms": round(baseline.cpu_ms, 2),
            },
        )
    ]
