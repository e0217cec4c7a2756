"""Scan posts/ and reconcile the store: new, changed, moved, renamed and removed posts."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.models import Post
from bot.content.post_file import PostDefaults, PostError, content_hash, parse_post
from bot.index.walk import FoundFile, walk_posts
from bot.store.models import FileSeen, MetaValue, PostRow, SlugHistory

Progress = Callable[[int, int], None]
FIRST_SCAN_KEY = "first_scan_at"
DUPLICATE = "duplicate slug"


@dataclass(slots=True)
class ScanReport:
    """What one scan found; `indexed` counts valid posts in the store afterwards."""

    indexed: int = 0
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    parsed_files: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the `scan --json` contract."""
        return {
            "indexed": self.indexed,
            "new": len(self.new),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "invalid": [{"path": path, "error": error} for path, error in self.invalid],
        }


@dataclass(slots=True)
class _Read:
    """A file that had to be read: its hash, and its post or the reason it is broken."""

    found: FoundFile
    digest: str
    post: Post | None = None
    error: str | None = None


def view_hash(post: Post) -> str:
    """Hash what a transmission shows, so a change in it (not in whitespace) bumps the version."""
    shown = [post.title, post.category, post.published_at.isoformat(), post.excerpt, post.url, post.image]
    return hashlib.blake2b(json.dumps(shown).encode(), digest_size=16).hexdigest()


class Indexer:
    """Keep the store in step with the posts folder; an unchanged folder costs one stat per file."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        posts_dir: Path,
        defaults: PostDefaults,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._posts_dir = posts_dir
        self._defaults = defaults
        self._clock = clock
        self._lock = asyncio.Lock()
        self._first_scan_done = False

    async def scan(self, progress: Progress | None = None) -> ScanReport:
        """Scan once; concurrent callers wait for the running scan instead of racing it."""
        async with self._lock:
            return await self._scan(progress)

    async def _scan(self, progress: Progress | None) -> ScanReport:
        report = ScanReport()
        if not self._posts_dir.is_dir():
            report.invalid.append((str(self._posts_dir), "posts folder does not exist"))
            return report
        async with self._sessions() as session:
            rows = (await session.execute(select(FileSeen))).scalars().all()
            seen = {row.path: row for row in rows}
            walked = await asyncio.to_thread(walk_posts, self._posts_dir)
            changed = [f for f in walked.files if _stat_changed(seen.get(f.path), f)]
            on_disk = {f.path for f in walked.files}
            vanished = [path for path in seen if path not in on_disk]
            if changed:
                reads = await asyncio.to_thread(self._read_all, changed, seen, progress)
                report.parsed_files = sum(1 for r in reads if r.post is not None or r.error is not None)
            else:
                reads = []
            first_scan = not self._first_scan_done and await session.get(MetaValue, FIRST_SCAN_KEY) is None
            if reads or vanished:
                await self._reconcile(session, reads, vanished, seen, report, first_scan)
            if first_scan:
                session.add(MetaValue(key=FIRST_SCAN_KEY, value=self._clock.now().isoformat()))
            self._first_scan_done = True
            await session.commit()
            report.invalid = sorted(
                [(row.path, row.error) for row in seen.values() if row.error and row.path in on_disk]
                + walked.refused
            )
            report.indexed = await _count_active(session)
        return report

    def _read_all(
        self, files: list[FoundFile], seen: dict[str, FileSeen], progress: Progress | None
    ) -> list[_Read]:
        reads = []
        for number, found in enumerate(files, 1):
            reads.append(self._read(found, seen.get(found.path)))
            if progress is not None and (number % 100 == 0 or number == len(files)):
                progress(number, len(files))
        return reads

    def _read(self, found: FoundFile, before: FileSeen | None) -> _Read:
        try:
            with open(found.absolute, "rb") as handle:
                raw = handle.read(self._defaults.max_bytes + 1)
        except OSError as exc:
            return _Read(found, "", error=f"cannot read: {exc.strerror}")
        digest = content_hash(raw)
        if before is not None and before.content_hash == digest and before.error is None:
            return _Read(found, digest)  # touched, not changed: no parsing
        try:
            return _Read(found, digest, post=parse_post(raw, found.path, self._defaults))
        except PostError as exc:
            return _Read(found, digest, error=str(exc))

    async def _reconcile(
        self,
        session: AsyncSession,
        reads: list[_Read],
        vanished: list[str],
        seen: dict[str, FileSeen],
        report: ScanReport,
        first_scan: bool,
    ) -> None:
        now = self._clock.now()
        posts = {row.id: row for row in (await session.execute(select(PostRow))).scalars()}
        by_slug = {row.slug: row for row in posts.values()}
        gone_paths = set(vanished)
        # Files that vanished this scan, or posts already removed, may reappear under a new name.
        orphans = {row.content_hash: row for row in posts.values() if row.source_path in gone_paths}
        orphans |= {row.content_hash: row for row in posts.values() if row.state == "removed"}
        claimed: set[int] = set()

        for read in reads:
            record = seen.get(read.found.path)
            if record is None:
                record = FileSeen(path=read.found.path, size=0, mtime_ns=0, content_hash="")
                session.add(record)
                seen[read.found.path] = record
            record.size, record.mtime_ns, record.content_hash = (
                read.found.size,
                read.found.mtime_ns,
                read.digest,
            )
            if read.post is None:
                record.error = read.error
                if read.error is not None and record.post_id is not None:
                    # A post whose file broke stays as it was; the error is reported until fixed.
                    claimed.add(record.post_id)
                continue
            post = read.post
            row = _match(post, record, posts, orphans, by_slug, gone_paths, claimed)
            owner = by_slug.get(post.slug)
            if owner is not None and owner is not row:
                if owner.id in claimed or (owner.state == "active" and owner.source_path not in gone_paths):
                    record.error = f"{DUPLICATE} {post.slug!r}: already used by {owner.source_path}"
                    continue
                # A long-removed post gives its slug up to the new one.
                by_slug.pop(owner.slug)
                owner.slug = f"{owner.slug}~removed-{owner.id}"
                await session.flush()
            record.error = None
            if row is None:
                row = _new_row(post, now, announced=now if first_scan and post.published_at <= now else None)
                session.add(row)
                await session.flush()
                posts[row.id] = row
                report.new.append(post.slug)
            else:
                if row.source_path != post.source_path:
                    report.moved.append((row.source_path, post.source_path))
                if row.slug != post.slug:
                    by_slug.pop(row.slug, None)
                    await session.merge(SlugHistory(slug=row.slug, post_id=row.id, changed_at=now))
                if _update_row(row, post, now):
                    report.changed.append(post.slug)
            by_slug[row.slug] = row
            claimed.add(row.id)
            record.post_id = row.id

        for path in vanished:
            record = seen.pop(path)
            if record.post_id is not None and record.post_id not in claimed:
                row = posts[record.post_id]
                if row.state != "removed":
                    row.state, row.updated_at = "removed", now
                    report.removed.append(row.slug)
            await session.delete(record)


def _stat_changed(before: FileSeen | None, found: FoundFile) -> bool:
    if before is None or before.size != found.size or before.mtime_ns != found.mtime_ns:
        return True
    # A duplicate slug depends on other files, so it is judged again on every scan (it is rare).
    return bool(before.error and before.error.startswith(DUPLICATE))


def _match(
    post: Post,
    record: FileSeen,
    posts: dict[int, PostRow],
    orphans: dict[str, PostRow],
    by_slug: dict[str, PostRow],
    gone_paths: set[str],
    claimed: set[int],
) -> PostRow | None:
    """Find the stored post this file is: same path, else same content or slug whose file is gone."""
    if record.post_id is not None and record.post_id in posts:
        return posts[record.post_id]
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


def _new_row(post: Post, now: datetime, announced: datetime | None) -> PostRow:
    return PostRow(
        **_fields(post),
        view_hash=view_hash(post),
        version=1,
        state="active",
        first_seen_at=now,
        updated_at=now,
        announced_at=announced,
    )


def _update_row(row: PostRow, post: Post, now: datetime) -> bool:
    """Apply a re-parsed post; return whether anything a reader sees changed."""
    fields = _fields(post)
    differs = any(getattr(row, name) != value for name, value in fields.items()) or row.state != "active"
    for name, value in fields.items():
        setattr(row, name, value)
    digest = view_hash(post)
    if digest != row.view_hash:
        row.view_hash, row.version = digest, row.version + 1
    if differs:
        row.state, row.updated_at = "active", now
    return differs


async def _count_active(session: AsyncSession) -> int:
    query = select(func.count()).select_from(PostRow).where(PostRow.state == "active")
    return int((await session.execute(query)).scalar_one())
