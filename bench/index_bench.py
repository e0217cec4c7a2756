"""Indexing benchmarks: cold index, unchanged rescan, per-post parse vs full Markdown rendering.

All timings use `time.perf_counter` inside the process; imports, corpus generation, database
migrations and the reading of input files are outside the timed regions. "Cold" means a fresh
database, not a cold disk cache: the corpus is read once beforehand so that the figure
measures the bot, not the disk. The process CPU time of each timed region is recorded next to
the wall time (`cpu` in the notes and in results.json's runs): on a machine shared with other
work, the wall time is inflated and the CPU time is the better guide.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import markdown

from bench.generate import Corpus, ensure_corpus, post_index
from bench.report import Row
from bot.app import App, build_app
from bot.content import latex
from bot.content.post_file import PostDefaults, decode_post_bytes, parse_post, read_front_matter
from bot.index.indexer import ScanReport
from bot.settings import load_settings

COLD_TARGET_S = 10.0  # for 10,000 posts on a 2-core machine
RESCAN_TARGET_MS = 100.0  # for 10,000 unchanged posts
RESCAN_RUNS = 5
PARSE_SAMPLE = 1000  # posts 0..999, the same files in the 10k and the 1k corpus
QUICK_PARSE_SAMPLE = 200
PARSE_PASSES = 3
T = TypeVar("T")


@dataclass(slots=True)
class Stopwatch:
    """Wall time (`perf_counter`) and this process's CPU time, all threads, of one region."""

    wall: float = 0.0
    cpu: float = 0.0
    _started: tuple[float, float] = (0.0, 0.0)

    def __enter__(self) -> Stopwatch:
        gc.collect()
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._started[0]
        self.cpu = time.process_time() - self._started[1]


class BenchError(RuntimeError):
    """The code under test did not do what the benchmark assumes (wrong count, parsed files...)."""


@dataclass(frozen=True, slots=True)
class Context:
    """Where to work and how big: 10k posts normally, 1k with --quick."""

    work: Path
    posts: int
    quick: bool

    @property
    def label(self) -> str:
        return f"{self.posts // 1000}k" if self.posts % 1000 == 0 else str(self.posts)

    @property
    def scale(self) -> float:
        """Targets are set for 10,000 posts; smaller runs scale them linearly."""
        return self.posts / 10_000

    @property
    def parse_sample(self) -> int:
        return QUICK_PARSE_SAMPLE if self.quick else PARSE_SAMPLE

    def corpus(self) -> Corpus:
        return ensure_corpus(self.work / f"posts-{self.label}", self.posts)

    def database(self) -> Path:
        return self.work / f"db-{self.label}" / "bench.db"


def _open_app(posts: Path, database: Path) -> App:
    settings = load_settings(posts_dir=posts, database_url=f"sqlite:///{database}")
    return build_app(settings)


def _remove_database(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _post_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".md", ".markdown") and p.is_file())


def _warm_page_cache(root: Path) -> None:
    for path in _post_files(root):
        path.read_bytes()


def _check_full_index(report: ScanReport, expected: int, what: str) -> None:
    if report.indexed != expected or report.invalid:
        raise BenchError(
            f"{what}: indexed {report.indexed} of {expected} posts, "
            f"{len(report.invalid)} invalid (first: {report.invalid[:3]})"
        )


def cold_index(ctx: Context) -> list[Row]:
    """Time the first scan of the corpus into a fresh SQLite database."""
    corpus = ctx.corpus()
    _warm_page_cache(corpus.root)
    database = ctx.database()
    _remove_database(database)

    async def run() -> tuple[Stopwatch, ScanReport]:
        app = _open_app(corpus.root, database)
        try:
            await app.prepare()
            with Stopwatch() as watch:
                report = await app.scan()
        finally:
            await app.close()
        return watch, report

    watch, report = asyncio.run(run())
    _check_full_index(report, ctx.posts, "cold index")
    if report.parsed_files != ctx.posts or len(report.new) != ctx.posts:
        raise BenchError(f"cold index parsed {report.parsed_files}, new {len(report.new)}, want {ctx.posts}")
    return [
        Row(
            f"cold_index_{ctx.label}_s",
            watch.wall,
            "s",
            target=COLD_TARGET_S * ctx.scale,
            samples=[watch.wall],
            note=f"{ctx.posts} posts, {corpus.total_bytes / 2**20:.1f} MiB; "
            f"{watch.wall / ctx.posts * 1000:.2f} ms/post; cpu {watch.cpu:.2f} s",
            extra={"cpu_s": round(watch.cpu, 3)},
        )
    ]


def rescan(ctx: Context) -> list[Row]:
    """Time scans of the unchanged corpus after it has been indexed (median of RESCAN_RUNS)."""
    corpus = ctx.corpus()
    database = ctx.database()

    async def run() -> list[Stopwatch]:
        app = _open_app(corpus.root, database)
        try:
            await app.prepare()
            # Untimed: indexes the corpus if no earlier benchmark did, and opens the connection.
            _check_full_index(await app.scan(), ctx.posts, "rescan set-up")
            watches = []
            for _ in range(RESCAN_RUNS):
                with Stopwatch() as watch:
                    report = await app.scan()
                watches.append(watch)
                _check_full_index(report, ctx.posts, "rescan")
                if report.parsed_files or report.new or report.changed or report.removed:
                    counts = (
                        f"{len(report.new)} new, {len(report.changed)} changed, {len(report.removed)} removed"
                    )
                    raise BenchError(
                        f"rescan of an unchanged folder parsed {report.parsed_files} files ({counts})"
                    )
        finally:
            await app.close()
        return watches

    watches = asyncio.run(run())
    samples = [w.wall * 1000 for w in watches]
    cpu = statistics.median(w.cpu * 1000 for w in watches)
    return [
        Row(
            f"rescan_{ctx.label}_ms",
            statistics.median(samples),
            "ms",
            target=RESCAN_TARGET_MS * ctx.scale,
            samples=samples,
            note=f"median of {RESCAN_RUNS}, range {min(samples):.0f}-{max(samples):.0f} ms; "
            f"parsed_files 0; cpu {cpu:.0f} ms",
            extra={"cpu_ms": round(cpu, 2)},
        )
    ]


def _per_item_us(
    items: Sequence[T], work: Callable[[T], object], before: Callable[[], None]
) -> tuple[list[float], float]:
    """Run `work` over `items` PARSE_PASSES times; return wall µs/item per pass, median CPU µs/item."""
    walls, cpus = [], []
    for _ in range(PARSE_PASSES):
        before()
        with Stopwatch() as watch:
            for item in items:
                work(item)
        walls.append(watch.wall / len(items) * 1e6)
        cpus.append(watch.cpu / len(items) * 1e6)
    return walls, statistics.median(cpus)


def _clear_latex_caches() -> None:
    # Each pass starts with cold formula caches, as the first scan of a folder does.
    for cached in (getattr(latex, "_convert", None), getattr(latex, "_symbol", None)):
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def parse(ctx: Context) -> list[Row]:
    """Per-post cost of `parse_post` (excerpt-only rendering) vs Markdown rendering whole posts."""
    corpus = ctx.corpus()
    sample = sorted(_post_files(corpus.root), key=post_index)[: ctx.parse_sample]
    raws = [path.read_bytes() for path in sample]
    names = [path.relative_to(corpus.root).as_posix() for path in sample]
    settings = load_settings(posts_dir=corpus.root)
    defaults = PostDefaults(
        timezone=settings.zone,
        site_url=settings.site_url,
        max_bytes=settings.max_post_bytes,
        excerpt_chars=settings.excerpt_chars,
    )
    for raw, name in zip(raws, names, strict=True):
        parse_post(raw, name, defaults)  # untimed warm-up; a broken sample post raises PostError

    pairs = list(zip(raws, names, strict=True))
    parse_us, parse_cpu = _per_item_us(
        pairs, lambda pair: parse_post(pair[0], pair[1], defaults), _clear_latex_caches
    )

    bodies = [read_front_matter(decode_post_bytes(raw, defaults.max_bytes)).body for raw in raws]
    md = markdown.Markdown()

    def render(body: str) -> str:
        md.reset()
        return md.convert(body)

    render_us, render_cpu = _per_item_us(bodies, render, lambda: None)
    ours, full = statistics.median(parse_us), statistics.median(render_us)
    full_corpus_s = full * ctx.posts / 1e6
    return [
        Row(
            "parse_post_us",
            ours,
            "µs/post",
            baseline=full,
            samples=parse_us,
            note=f"bot parse_post (front matter + excerpt) over {len(raws)} posts, median of "
            f"{PARSE_PASSES} passes, formula caches cleared per pass; cpu {parse_cpu:,.0f} µs",
            extra={"cpu_us": round(parse_cpu, 1)},
        ),
        Row(
            "markdown_full_render_us",
            full,
            "µs/post",
            samples=render_us,
            note="baseline: markdown.Markdown().convert(body) of the whole post, reused instance + "
            f"reset(); cpu {render_cpu:,.0f} µs",
            extra={"cpu_us": round(render_cpu, 1)},
        ),
        Row(
            f"markdown_full_render_{ctx.label}_est_s",
            full_corpus_s,
            "s",
            target=COLD_TARGET_S * ctx.scale,
            record=False,
            note=f"full rendering alone, extrapolated to {ctx.posts} posts (before any database work)",
        ),
    ]
