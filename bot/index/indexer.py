"""Scan posts/ and reconcile the store: new, changed, moved, renamed and removed posts."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.placement import AREA_NAMES
from bot.content.post_file import PostDefaults
from bot.index.parser_pool import ParserPool, PoolLimits
from bot.index.plan import (
    DUPLICATE,
    SKIPPED,
    FileRecord,
    Mode,
    Seen,
    plan_scan,
)
from bot.index.reader import Read
from bot.index.storage import (
    apply_plan,
    count_active,
    load_files,
    load_posts,
    stored_post,
    write_files,
)
from bot.index.walk import FoundFile, iter_posts
from bot.store import search_index
from bot.store.models import FileSeen, MetaValue, PostRow

Progress = Callable[[int, int], None]
FIRST_SCAN_KEY = "first_scan_at"
DERIVED_WITH_KEY = "derived_with"
# The search index follows the posts: a scan that leaves at most this many posts out of it
# indexes them before it returns; a bigger backlog (a first index, a re-derivation) is indexed in
# the background once scans have been quiet for SEARCH_DELAY seconds, so a burst of scans at
# start-up is not slowed by it. Search reads the posts not yet indexed directly meanwhile.
SEARCH_NOW = 200
SEARCH_DELAY = 5.0
SEARCH_BATCH = 200
SEARCH_LOOK_EVERY = 300.0  # seconds between looks for a backlog when scans find nothing new
log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScanReport:
    """What one scan found; `indexed` counts valid posts in the store afterwards."""

    indexed: int = 0
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # pages, index pages, excluded
    parsed_files: int = 0
    # Refusals that began or ended with this scan: logged once, not on every scan.
    newly_invalid: list[tuple[str, str]] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    rederived: bool = False  # settings or the parser changed, so every post was derived again

    def to_json(self) -> dict[str, Any]:
        """Return the `scan --json` contract."""
        return {
            "indexed": self.indexed,
            "new": len(self.new),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "skipped": len(self.skipped),
            "rederived": self.rederived,
            "invalid": [{"path": path, "error": error} for path, error in self.invalid],
        }


class Indexer:
    """Keep the store in step with the posts folder; an unchanged folder costs one stat per file."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        posts_dir: Path,
        defaults: PostDefaults,
        clock: Clock,
        parser: ParserPool | None = None,
    ) -> None:
        self._sessions = sessions
        self._posts_dir = posts_dir
        self._defaults = defaults
        self._clock = clock
        self._parser = parser or ParserPool(PoolLimits())
        self._rules_checked = False
        self._lock = asyncio.Lock()
        self._first_scan_done = False
        # hash(path) -> fingerprint of (size, mtime_ns), and path -> error for the few broken
        # files. The indexer is the only writer of files_seen, so this copy saves reading the table
        # on every scan; two small ints a file keep 100,000 files in a few megabytes.
        self._stats: dict[int, int] | None = None
        self._errors: dict[str, str] = {}
        self._derived_with: str | None = None
        self._walk_refused: dict[str, str] = {}  # refused before reading (names, symlinks)
        self._search_task: asyncio.Task[None] | None = None
        self._search_started = False
        # Whether posts wait for the search index: None until a scan has looked.
        self._search_pending: bool | None = None
        self._search_looked = time.monotonic()

    @property
    def defaults(self) -> PostDefaults:
        """What posts are derived with (the settings' part; the tree's part is found per scan)."""
        return self._defaults

    def close(self) -> None:
        """Stop the parser processes and any background indexing for search."""
        if self._search_task is not None:
            self._search_task.cancel()
        self._parser.close()

    async def scan(self, progress: Progress | None = None, *, rederive: bool = False) -> ScanReport:
        """Scan once; concurrent callers wait for the running scan instead of racing it.

        `rederive` parses every file again and updates stored posts in place; it also happens by
        itself when what posts were derived with (settings, the parser) changed since last time.
        """
        async with self._lock:
            try:
                report = await self._scan(progress, rederive)
            except BaseException:
                self._stats = None  # re-read the table next time rather than trust a half update
                self._errors = {}
                raise
            if self._search_pending is not False or _changed_anything(report) or self._search_look_due():
                await self._follow_with_search()
            return report

    async def index_search(self) -> int:
        """Bring the search index up to date now; return how many posts that took."""
        total = 0
        while True:
            async with self._lock:
                done = await self._search_batch()
            if not done:
                self._search_pending = False
                return total
            total += done

    def _search_look_due(self) -> bool:
        # Another process (a `scan` from the command line) may leave posts behind: look now and then.
        now = time.monotonic()
        due = now - self._search_looked >= SEARCH_LOOK_EVERY
        if due:
            self._search_looked = now
        return due

    async def _search_batch(self) -> int:
        async with self._sessions() as session:
            done = await search_index.catch_up_search(session, SEARCH_BATCH)
            await session.commit()
        return done

    async def _follow_with_search(self) -> None:
        """After a scan: index a small search backlog now, a big one later in the background."""
        if not self._search_pending:  # unknown, or the scan may have added to it: look
            async with self._sessions() as session:
                backlog = await search_index.search_backlog(session, SEARCH_NOW + 1)
            if backlog <= SEARCH_NOW:
                while await self._search_batch():
                    pass
                self._search_pending = False
                return
            self._search_pending = True
        if self._search_task is not None and not self._search_task.done():
            if self._search_started:
                return  # already indexing: it will reach the new posts too
            self._search_task.cancel()
        self._search_started = False
        self._search_task = asyncio.get_running_loop().create_task(self._search_later())

    async def _search_later(self) -> None:
        await asyncio.sleep(SEARCH_DELAY)
        self._search_started = True
        try:
            done = await self.index_search()
            log.info("search index caught up: %d posts", done)
        except Exception:
            log.exception("indexing posts for search failed; search reads them directly meanwhile")

    async def _scan(self, progress: Progress | None, rederive: bool) -> ScanReport:
        report = ScanReport()
        if not self._posts_dir.is_dir():
            report.invalid.append((str(self._posts_dir), "posts folder does not exist"))
            return report
        if self._stats is None:
            self._stats, self._errors = await self._load_stats()
            self._derived_with = await self._stored_derivation()
        stats, errors = self._stats, self._errors
        before = dict(errors)
        walked, defaults, rederive = await self._walk_and_derive(rederive)
        derivation = defaults.fingerprint()
        report.rederived = rederive
        changed, refused = walked.changed, walked.refused
        vanished = await self._vanished(stats) if walked.present < len(stats) else []
        if changed or vanished:
            # Another file may have freed or taken a slug: duplicates are judged again, only now.
            known = {f.path for f in changed}
            changed += [f for f in walked.duplicates if f.path not in known]
        async with self._sessions() as session:
            first_scan = not self._first_scan_done and await session.get(MetaValue, FIRST_SCAN_KEY) is None
            if rederive:
                await search_index.reset_search(session)  # rebuilt from the re-derived posts afterwards
            elif not self._rules_checked:
                await search_index.follow_rules(session)  # once a start: new index rules rebuild it
            self._rules_checked = True
            if changed or vanished:
                seen = await load_files(session, [f.path for f in changed] + vanished)
                reads = await self._read_all(changed, seen, progress, defaults, rederive)
                report.parsed_files = sum(1 for r in reads if r.digest and (r.post or r.error or r.skipped))
                mode = Mode(self._clock.now(), quiet=first_scan or rederive, silent=rederive)
                files = await self._reconcile(session, reads, vanished, seen, report, mode)
                await write_files(session, list(seen) + [r.found.path for r in reads], files)
            if first_scan:
                session.add(MetaValue(key=FIRST_SCAN_KEY, value=self._clock.now().isoformat()))
            if derivation != self._derived_with:
                await session.merge(MetaValue(key=DERIVED_WITH_KEY, value=derivation))
            await session.commit()
            report.indexed = await count_active(session)
        self._first_scan_done = True
        self._derived_with = derivation
        if changed or vanished:
            self._remember(vanished, files)
        _sort_errors(report, errors, refused, before | self._walk_refused)
        self._walk_refused = dict(refused)
        return report

    async def _walk_and_derive(self, rederive: bool) -> tuple[_Walked, PostDefaults, bool]:
        """Walk the folder; walk it whole when what posts are derived with has changed."""
        assert self._stats is not None
        walked = await asyncio.to_thread(self._walk, self._stats, self._errors, rederive)
        defaults = replace(self._defaults, area_rule=walked.area)
        if self._derived_with is not None and self._derived_with != defaults.fingerprint() and not rederive:
            log.info("settings or parser changed since posts were indexed: deriving every post again")
            walked = await asyncio.to_thread(self._walk, self._stats, self._errors, True)
            rederive = True
        return walked, defaults, rederive

    def _remember(self, vanished: list[str], files: list[FileRecord]) -> None:
        """Keep the in-memory copy of files_seen in step with what this scan wrote."""
        assert self._stats is not None
        for path in vanished:
            self._stats.pop(hash(path), None)
            self._errors.pop(path, None)
        for item in files:
            self._stats[hash(item.path)] = fingerprint(item.size, item.mtime_ns)
            if item.error:
                self._errors[item.path] = item.error
            else:
                self._errors.pop(item.path, None)

    async def _stored_derivation(self) -> str | None:
        async with self._sessions() as session:
            row = await session.get(MetaValue, DERIVED_WITH_KEY)
            if row is not None:
                return row.value
            # A store indexed before derivations were recorded: re-derive once if it holds posts.
            has_posts = (await session.execute(select(PostRow.id).limit(1))).first() is not None
            return "unknown" if has_posts else None

    async def _vanished(self, stats: dict[int, int]) -> list[str]:
        """Name the known files that are gone (rare: only when some file was deleted or moved)."""
        on_disk = await asyncio.to_thread(
            lambda: {hash(f.path) for f in iter_posts(self._posts_dir) if isinstance(f, FoundFile)}
        )
        gone = set(stats) - on_disk
        async with self._sessions() as session:
            paths = await session.stream_scalars(select(FileSeen.path).execution_options(yield_per=2000))
            return [path async for path in paths if hash(path) in gone]

    async def _load_stats(self) -> tuple[dict[int, int], dict[str, str]]:
        """Read files_seen once, streaming, into the compact in-memory copy."""
        stats: dict[int, int] = {}
        errors: dict[str, str] = {}
        async with self._sessions() as session:
            query = select(FileSeen.path, FileSeen.size, FileSeen.mtime_ns, FileSeen.error)
            # yield_per: read in batches, or the driver buffers all 100,000 rows at once.
            async for path, size, mtime, error in await session.stream(
                query.execution_options(yield_per=2000)
            ):
                stats[hash(path)] = fingerprint(size, mtime)
                if error:
                    errors[path] = error
        return stats, errors

    def _walk(self, stats: dict[int, int], errors: dict[str, str], everything: bool) -> _Walked:
        """Walk the folder keeping only what changed; count the known files still present."""
        walked = _Walked()
        known_stat = stats.get
        changed, duplicates = walked.changed, walked.duplicates
        for item in iter_posts(self._posts_dir):
            if not isinstance(item, FoundFile):
                walked.refused.append(item)
                continue
            path = item.path
            if not walked.area and _in_area(path):
                walked.area = True
            known = known_stat(hash(path))
            if known is None:
                changed.append(item)
                continue
            walked.present += 1
            if everything or known != hash((item.size, item.mtime_ns)):  # see `fingerprint`
                changed.append(item)
            elif errors and path in errors and errors[path].startswith(DUPLICATE):
                duplicates.append(item)
        changed.sort(key=lambda f: f.path)
        walked.refused.sort()
        return walked

    async def _read_all(
        self,
        files: list[FoundFile],
        seen: dict[str, FileSeen],
        progress: Progress | None,
        defaults: PostDefaults,
        rederive: bool,
    ) -> list[Read]:
        """Read and parse files in the parser processes (time- and memory-bounded)."""
        work = [(f, None if rederive else _known_hash(seen.get(f.path))) for f in files]
        if len(work) > SEARCH_NOW:  # the search text is derived after the scan, with the index
            defaults = replace(defaults, search_text=False)
        return await self._parser.read_all(work, defaults, progress)

    async def _reconcile(
        self,
        session: AsyncSession,
        reads: list[Read],
        vanished: list[str],
        seen: dict[str, FileSeen],
        report: ScanReport,
        mode: Mode,
    ) -> list[FileRecord]:
        """Plan the scan's changes from what it read and what is stored, then apply the plan."""
        rows = await load_posts(session, reads, vanished, seen)
        stored = {row.id: stored_post(row) for row in rows.values()}
        facts = {path: Seen(record.post_id, record.error) for path, record in seen.items()}
        plan = plan_scan(reads, vanished, facts, stored, mode)
        await apply_plan(session, plan, rows, mode.now)
        report.new += plan.new
        report.changed += plan.changed
        report.moved += plan.moved
        report.removed += plan.removed_slugs
        return plan.files


def _changed_anything(report: ScanReport) -> bool:
    return bool(report.new or report.changed or report.removed or report.moved or report.rederived)


def _known_hash(before: FileSeen | None) -> str | None:
    # Only a file that parsed cleanly may skip parsing when its bytes are unchanged.
    return before.content_hash if before is not None and before.error is None else None


def _in_area(path: str) -> bool:
    return any(part.lower() in AREA_NAMES for part in path.split("/")[:-1])


def fingerprint(size: int, mtime_ns: int) -> int:
    """Fold a file's size and mtime into one small int (a 64-bit hash; collisions are negligible)."""
    return hash((size, mtime_ns))


@dataclass(slots=True)
class _Walked:
    """One walk of the folder: files to parse, duplicates to judge again, and what else it saw."""

    changed: list[FoundFile] = field(default_factory=list)
    duplicates: list[FoundFile] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    present: int = 0
    area: bool = False  # some file lies in a posts folder (`_posts`, `posts`, `blog`, ...)


def _sort_errors(
    report: ScanReport, errors: dict[str, str], refused: list[tuple[str, str]], before: dict[str, str]
) -> None:
    """Split stored errors into refused and skipped files, and say which refusals are news."""
    for path, error in errors.items():
        if error.startswith(SKIPPED):
            report.skipped.append((path, error.removeprefix(SKIPPED)))
        else:
            report.invalid.append((path, error))
            if before.get(path) != error:
                report.newly_invalid.append((path, error))
    walk_refused = dict(refused)
    report.newly_invalid += [(p, e) for p, e in refused if before.get(p) != e]
    gone = (p for p, e in before.items() if not e.startswith(SKIPPED) and p not in errors)
    report.fixed = sorted(p for p in gone if p not in walk_refused)
    report.invalid = sorted(report.invalid + refused)
    report.skipped.sort()
    report.newly_invalid.sort()
