"""Scan posts/ and reconcile the store: new, changed, moved, renamed and removed posts."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.models import Post
from bot.content.placement import AREA_NAMES
from bot.content.post_file import PostDefaults
from bot.index.parser_pool import ParserPool, PoolLimits
from bot.index.reader import Read
from bot.index.walk import FoundFile, iter_posts
from bot.store.models import FileSeen, MetaValue, PostRow, SlugHistory

# Core tables for the bulk inserts of a cold index: no ORM bookkeeping for 10,000 rows.
POSTS = cast(Table, PostRow.__table__)
FILES_SEEN = cast(Table, FileSeen.__table__)

Progress = Callable[[int, int], None]
FIRST_SCAN_KEY = "first_scan_at"
DERIVED_WITH_KEY = "derived_with"
DUPLICATE = "duplicate slug"
SKIPPED = "skipped: "  # files_seen.error of a file that parsed but is not a post
T = TypeVar("T")
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


@dataclass(slots=True)
class _File:
    """A files_seen row as it will be written back."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    post_id: int | None
    error: str | None
    new_slug: str | None = None  # set when the post is inserted in this scan and has no id yet


def view_hash(post: Post) -> str:
    """Hash what a transmission shows, so a change in it (not in whitespace) bumps the version."""
    shown = [post.title, post.category, post.published_at.isoformat(), post.excerpt, post.url, post.image]
    return hashlib.blake2b(json.dumps(shown).encode(), digest_size=16).hexdigest()


def _chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
        self._lock = asyncio.Lock()
        self._first_scan_done = False
        # hash(path) -> fingerprint of (size, mtime_ns), and path -> error for the few broken
        # files. The indexer is the only writer of files_seen, so this copy saves reading the table
        # on every scan; two small ints a file keep 100,000 files in a few megabytes.
        self._stats: dict[int, int] | None = None
        self._errors: dict[str, str] = {}
        self._derived_with: str | None = None
        self._walk_refused: dict[str, str] = {}  # refused before reading (names, symlinks)

    @property
    def defaults(self) -> PostDefaults:
        """What posts are derived with (the settings' part; the tree's part is found per scan)."""
        return self._defaults

    def close(self) -> None:
        """Stop the parser processes."""
        self._parser.close()

    async def scan(self, progress: Progress | None = None, *, rederive: bool = False) -> ScanReport:
        """Scan once; concurrent callers wait for the running scan instead of racing it.

        `rederive` parses every file again and updates stored posts in place; it also happens by
        itself when what posts were derived with (settings, the parser) changed since last time.
        """
        async with self._lock:
            try:
                return await self._scan(progress, rederive)
            except BaseException:
                self._stats = None  # re-read the table next time rather than trust a half update
                self._errors = {}
                raise

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
        walked = await asyncio.to_thread(self._walk, stats, errors, rederive)
        defaults = replace(self._defaults, area_rule=walked.area)
        derivation = defaults.fingerprint()
        if self._derived_with is not None and self._derived_with != derivation and not rederive:
            log.info("settings or parser changed since posts were indexed: deriving every post again")
            walked = await asyncio.to_thread(self._walk, stats, errors, True)
            rederive = True
        report.rederived = rederive
        changed, refused = walked.changed, walked.refused
        vanished = await self._vanished(stats) if walked.present < len(stats) else []
        if changed or vanished:
            # Another file may have freed or taken a slug: duplicates are judged again, only now.
            known = {f.path for f in changed}
            changed += [f for f in walked.duplicates if f.path not in known]
        async with self._sessions() as session:
            first_scan = not self._first_scan_done and await session.get(MetaValue, FIRST_SCAN_KEY) is None
            if changed or vanished:
                seen = await _load_files(session, [f.path for f in changed] + vanished)
                reads = await self._read_all(changed, seen, progress, defaults, rederive)
                report.parsed_files = sum(1 for r in reads if r.digest and (r.post or r.error or r.skipped))
                plan = _Scan(self._clock.now(), first_scan or rederive, rederive)
                files = await self._reconcile(session, reads, vanished, seen, report, plan)
                await _write_files(session, list(seen) + [r.found.path for r in reads], files)
            if first_scan:
                session.add(MetaValue(key=FIRST_SCAN_KEY, value=self._clock.now().isoformat()))
            if derivation != self._derived_with:
                await session.merge(MetaValue(key=DERIVED_WITH_KEY, value=derivation))
            await session.commit()
            report.indexed = await _count_active(session)
        self._first_scan_done = True
        self._derived_with = derivation
        if changed or vanished:
            for path in vanished:
                stats.pop(hash(path), None)
                errors.pop(path, None)
            for item in files:
                stats[hash(item.path)] = fingerprint(item.size, item.mtime_ns)
                if item.error:
                    errors[item.path] = item.error
                else:
                    errors.pop(item.path, None)
        _sort_errors(report, errors, refused, before | self._walk_refused)
        self._walk_refused = dict(refused)
        return report

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
        area_names = AREA_NAMES
        for item in iter_posts(self._posts_dir):
            if not isinstance(item, FoundFile):
                walked.refused.append(item)
                continue
            if not walked.area and any(part.lower() in area_names for part in item.path.split("/")[:-1]):
                walked.area = True
            known = stats.get(hash(item.path))
            if known is not None:
                walked.present += 1
            if everything or known is None or known != fingerprint(item.size, item.mtime_ns):
                walked.changed.append(item)
            elif (errors.get(item.path) or "").startswith(DUPLICATE):
                walked.duplicates.append(item)
        walked.changed.sort(key=lambda f: f.path)
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
        return await self._parser.read_all(work, defaults, progress)

    async def _reconcile(
        self,
        session: AsyncSession,
        reads: list[Read],
        vanished: list[str],
        seen: dict[str, FileSeen],
        report: ScanReport,
        plan: _Scan,
    ) -> list[_File]:
        now = plan.now
        gone_paths = set(vanished)
        posts = await _load_posts(session, reads, vanished, seen)
        by_slug = {row.slug: row for row in posts.values()}
        # Files that vanished this scan, or posts already removed, may reappear under a new name.
        orphans = {row.content_hash: row for row in posts.values() if row.state == "removed"}
        orphans |= {row.content_hash: row for row in posts.values() if row.source_path in gone_paths}
        claimed: set[int] = set()
        new_posts: dict[str, dict[str, Any]] = {}
        files: list[_File] = []

        for read in reads:
            before = seen.get(read.found.path)
            item = _File(
                read.found.path,
                read.found.size,
                read.found.mtime_ns,
                read.digest,
                before.post_id if before else None,
                read.error,
            )
            files.append(item)
            if read.skipped is not None:
                # A page now (or excluded): the post it used to be is withdrawn, not kept.
                item.error = SKIPPED + read.skipped
                withdrawn = None
                if item.post_id is not None and item.post_id not in claimed:
                    withdrawn = posts.get(item.post_id)
                if withdrawn is not None and withdrawn.state != "removed":
                    withdrawn.state, withdrawn.updated_at = "removed", now
                    report.removed.append(withdrawn.slug)
                item.post_id = None
                continue
            if read.post is None:
                if read.error is None and before is not None:
                    item.error = before.error  # touched only: keep what we knew
                elif item.post_id is not None:
                    claimed.add(item.post_id)  # a broken edit keeps the last good version
                continue
            post = read.post
            if post.slug in new_posts:
                item.error = (
                    f"{DUPLICATE} {post.slug!r}: already used by {new_posts[post.slug]['source_path']}"
                )
                continue
            row = _match(post, item.post_id, posts, orphans, by_slug, gone_paths, claimed)
            owner = by_slug.get(post.slug)
            if owner is not None and owner is not row:
                if owner.id in claimed or (owner.state == "active" and owner.source_path not in gone_paths):
                    item.error = f"{DUPLICATE} {post.slug!r}: already used by {owner.source_path}"
                    continue
                # A long-removed post gives its slug up to the new one.
                by_slug.pop(owner.slug)
                owner.slug = f"{owner.slug}~removed-{owner.id}"
                await session.flush()
            if row is None:
                # On a first scan (or a re-derivation) what is already published is old news.
                announced = now if plan.quiet and post.published_at <= now else None
                new_posts[post.slug] = _new_row(post, now, announced)
                item.post_id, item.new_slug = None, post.slug
                report.new.append(post.slug)
                continue
            if row.source_path != post.source_path:
                report.moved.append((row.source_path, post.source_path))
            if row.slug != post.slug:
                by_slug.pop(row.slug, None)
                await session.merge(SlugHistory(slug=row.slug, post_id=row.id, changed_at=now))
            if _update_row(row, post, now, bump=not plan.silent):
                report.changed.append(post.slug)
            by_slug[row.slug] = row
            claimed.add(row.id)
            item.post_id = row.id

        for path in vanished:
            # Another process (a `scan` from the command line) may have handled it already.
            record = seen.get(path)
            if record is None:
                continue
            if record.post_id is not None and record.post_id not in claimed and record.post_id in posts:
                row = posts[record.post_id]
                if row.state != "removed":
                    row.state, row.updated_at = "removed", now
                    report.removed.append(row.slug)
        await session.flush()
        await _insert_posts(session, list(new_posts.values()), files)
        return files


async def _load_files(session: AsyncSession, paths: list[str]) -> dict[str, FileSeen]:
    found: dict[str, FileSeen] = {}
    for chunk in _chunks(paths):
        for row in (await session.execute(select(FileSeen).where(FileSeen.path.in_(chunk)))).scalars():
            found[row.path] = row
    return found


async def _load_posts(
    session: AsyncSession, reads: list[Read], vanished: list[str], seen: dict[str, FileSeen]
) -> dict[int, PostRow]:
    """Load only the posts this scan can touch: by file, slug, content hash, and removed ones."""
    ids = [r.post_id for r in seen.values() if r.post_id is not None]
    slugs = [r.post.slug for r in reads if r.post is not None]
    hashes = [r.post.content_hash for r in reads if r.post is not None]
    posts: dict[int, PostRow] = {}
    for column, values in ((PostRow.id, ids), (PostRow.slug, slugs), (PostRow.content_hash, hashes)):
        for chunk in _chunks(values):
            for row in (await session.execute(select(PostRow).where(column.in_(chunk)))).scalars():
                posts[row.id] = row
    for path_chunk in _chunks(vanished):
        query = select(PostRow).where(or_(PostRow.source_path.in_(path_chunk)))
        for row in (await session.execute(query)).scalars():
            posts[row.id] = row
    return posts


async def _insert_posts(session: AsyncSession, rows: list[dict[str, Any]], files: list[_File]) -> None:
    """Insert new posts in bulk, then point their files at the new ids."""
    if not rows:
        return
    for batch in _chunks(rows, 1000):
        await session.execute(insert(POSTS), list(batch))
    ids: dict[str, int] = {}
    for slugs in _chunks([row["slug"] for row in rows]):
        result = await session.execute(select(PostRow.slug, PostRow.id).where(PostRow.slug.in_(slugs)))
        ids.update({slug: post_id for slug, post_id in result})
    for item in files:
        if item.new_slug is not None:
            item.post_id = ids[item.new_slug]


async def _write_files(session: AsyncSession, touched: list[str], files: list[_File]) -> None:
    """Replace the files_seen rows of every path this scan touched."""
    for chunk in _chunks(sorted(set(touched))):
        await session.execute(delete(FileSeen).where(FileSeen.path.in_(chunk)))
    values = [
        {
            "path": f.path,
            "size": f.size,
            "mtime_ns": f.mtime_ns,
            "content_hash": f.content_hash,
            "post_id": f.post_id,
            "error": f.error,
        }
        for f in files
    ]
    for batch in _chunks(values, 1000):
        await session.execute(insert(FILES_SEEN), list(batch))


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _known_hash(before: FileSeen | None) -> str | None:
    # Only a file that parsed cleanly may skip parsing when its bytes are unchanged.
    return before.content_hash if before is not None and before.error is None else None


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


@dataclass(frozen=True, slots=True)
class _Scan:
    """How this scan treats what it finds."""

    now: datetime
    quiet: bool  # new posts already published are recorded as announced (first scan, re-derivation)
    silent: bool  # changes don't bump versions (a re-derivation, not an author's edit)


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


def _match(
    post: Post,
    post_id: int | None,
    posts: dict[int, PostRow],
    orphans: dict[str, PostRow],
    by_slug: dict[str, PostRow],
    gone_paths: set[str],
    claimed: set[int],
) -> PostRow | None:
    """Find the stored post this file is: same path, else same content or slug whose file is gone."""
    if post_id is not None and post_id in posts:
        return posts[post_id]
    for candidate in (orphans.get(post.content_hash), by_slug.get(post.slug)):
        if candidate is None or candidate.id in claimed:
            continue
        if candidate.state == "removed" or candidate.source_path in gone_paths:
            return candidate
    return None


def _fields(post: Post) -> dict[str, Any]:
    return {
        "slug": post.slug,
        "source_path": post.source_path,
        "title": post.title,
        "category": post.category,
        "tags": list(post.tags),
        "published_at": post.published_at,
        "excerpt": post.excerpt,
        "url": post.url,
        "image": post.image,
        "lang": post.lang,
        "draft": post.draft,
        "content_hash": post.content_hash,
    }


def _new_row(post: Post, now: datetime, announced: datetime | None) -> dict[str, Any]:
    return _fields(post) | {
        "view_hash": view_hash(post),
        "version": 1,
        "state": "active",
        "first_seen_at": now,
        "updated_at": now,
        "announced_at": announced,
    }


def _update_row(row: PostRow, post: Post, now: datetime, bump: bool = True) -> bool:
    """Apply a re-parsed post; return whether anything a reader sees changed.

    `bump=False` (a re-derivation) updates the post without a new version, so sent messages are
    not edited just because a setting changed.
    """
    fields = _fields(post)
    differs = any(getattr(row, name) != value for name, value in fields.items()) or row.state != "active"
    for name, value in fields.items():
        setattr(row, name, value)
    digest = view_hash(post)
    if digest != row.view_hash:
        row.view_hash = digest
        row.version += 1 if bump else 0
    if differs:
        row.state, row.updated_at = "active", now
    return differs


async def _count_active(session: AsyncSession) -> int:
    query = select(func.count()).select_from(PostRow).where(PostRow.state == "active")
    return int((await session.execute(query)).scalar_one())
