"""Decide what a scan changes, without touching the store: a pure plan from what was read and stored.

The indexer loads the stored state a scan can touch, hands it here with the files it read, and
applies the returned `Plan` in one transaction. Everything about identity lives here: a renamed
file with the same content is the same post, a slug freed by a removed post can be taken, a
duplicate slug is refused, a broken edit keeps the last good version, a page is withdrawn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.content.models import Post
from bot.index.reader import Read
from bot.store.states import PostState

DUPLICATE = "duplicate slug"
SKIPPED = "skipped: "  # files_seen.error of a file that parsed but is not a post


def post_fields(post: Post) -> dict[str, Any]:
    """Return the stored columns a parsed post sets."""
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
        "body": post.body,
        "search_text": post.search_text,
    }


def view_hash(post: Post) -> str:
    """Hash what a reader is shown, so a change in it (not in whitespace) bumps the version.

    The body counts: a post read whole in a chat is a sent message that an edit must update.
    """
    shown = [post.title, post.category, post.published_at.isoformat(), post.excerpt, post.url, post.image]
    digest = hashlib.blake2b(json.dumps(shown).encode(), digest_size=16)
    digest.update(post.body.encode())
    return digest.hexdigest()


@dataclass(slots=True)
class Stored:
    """A stored post as the planner sees it (its own copy: planning changes it, the store not yet)."""

    id: int
    slug: str
    source_path: str
    content_hash: str
    state: PostState
    view_hash: str
    version: int
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Seen:
    """What files_seen holds for a path: the post it gave, or why it was refused."""

    post_id: int | None
    error: str | None


@dataclass(slots=True)
class FileRecord:
    """A files_seen row as it will be written back."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    post_id: int | None
    error: str | None
    new_slug: str | None = None  # a post inserted by this plan: its id is known only after the insert


@dataclass(frozen=True, slots=True)
class Update:
    """A stored post re-derived from its file."""

    post_id: int
    post: Post
    view_hash: str
    version: int


@dataclass(slots=True)
class Plan:
    """Everything one scan changes, in the order it must be applied."""

    released: dict[int, str] = field(default_factory=dict)  # post id -> the slug it gives up for
    updates: list[Update] = field(default_factory=list)
    renamed: list[tuple[str, int]] = field(default_factory=list)  # (old slug, post id) for history
    removed: list[int] = field(default_factory=list)
    inserts: list[tuple[Post, datetime | None]] = field(default_factory=list)  # (post, announced_at)
    files: list[FileRecord] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    removed_slugs: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Mode:
    """How a scan treats what it finds."""

    now: datetime
    quiet: bool  # new posts already published are recorded as announced (first scan, re-derivation)
    silent: bool  # changes don't bump versions (a re-derivation, not an author's edit)


def plan_scan(
    reads: list[Read],
    vanished: list[str],
    seen: Mapping[str, Seen],
    stored: Mapping[int, Stored],
    mode: Mode,
) -> Plan:
    """Decide every change of one scan from the files read and the state they can touch."""
    planner = _Planner(stored, set(vanished), mode)
    for read in reads:
        planner.read(read, seen.get(read.found.path))
    for path in vanished:
        record = seen.get(path)  # another process (a `scan` from the command line) may have been first
        if record is not None and record.post_id is not None:
            planner.withdraw(record.post_id)
    return planner.plan


class _Planner:
    def __init__(self, stored: Mapping[int, Stored], gone: set[str], mode: Mode) -> None:
        self.posts = stored
        self.gone = gone
        self.mode = mode
        self.plan = Plan()
        self.by_slug = {post.slug: post for post in stored.values()}
        # Files that vanished this scan, or posts already removed, may reappear under a new name.
        self.orphans = {p.content_hash: p for p in stored.values() if p.state == PostState.REMOVED}
        self.orphans |= {p.content_hash: p for p in stored.values() if p.source_path in gone}
        self.claimed: set[int] = set()
        self.inserted: dict[str, str] = {}  # slug -> source path of posts new in this scan

    def read(self, read: Read, before: Seen | None) -> None:
        item = FileRecord(
            read.found.path,
            read.found.size,
            read.found.mtime_ns,
            read.digest,
            before.post_id if before else None,
            read.error,
        )
        self.plan.files.append(item)
        if read.skipped is not None:
            # A page now (or excluded): the post it used to be is withdrawn, not kept.
            item.error = SKIPPED + read.skipped
            if item.post_id is not None:
                self.withdraw(item.post_id)
            item.post_id = None
        elif read.post is None:
            if read.error is None and before is not None:
                item.error = before.error  # touched only: keep what we knew
            elif item.post_id is not None:
                self.claimed.add(item.post_id)  # a broken edit keeps the last good version
        else:
            item.error = self.place(read.post, item)

    def place(self, post: Post, item: FileRecord) -> str | None:
        """Match a parsed post to a stored one, or plan it as new; return a refusal, if any."""
        if post.slug in self.inserted:
            return f"{DUPLICATE} {post.slug!r}: already used by {self.inserted[post.slug]}"
        match = self.match(post, item.post_id)
        owner = self.by_slug.get(post.slug)
        if owner is not None and owner is not match:
            if owner.id in self.claimed or (
                owner.state == PostState.ACTIVE and owner.source_path not in self.gone
            ):
                return f"{DUPLICATE} {post.slug!r}: already used by {owner.source_path}"
            # A long-removed post gives its slug up to the new one.
            del self.by_slug[owner.slug]
            owner.slug = f"{owner.slug}~removed-{owner.id}"
            self.plan.released[owner.id] = owner.slug
        if match is None:
            # On a first scan (or a re-derivation) what is already published is old news.
            quiet = self.mode.quiet and post.published_at <= self.mode.now
            self.plan.inserts.append((post, self.mode.now if quiet else None))
            self.inserted[post.slug] = post.source_path
            item.post_id, item.new_slug = None, post.slug
            self.plan.new.append(post.slug)
            return None
        self.update(match, post)
        item.post_id = match.id
        return None

    def match(self, post: Post, post_id: int | None) -> Stored | None:
        """Find the stored post this file is: same path, else same content or slug whose file is gone."""
        if post_id is not None and post_id in self.posts:
            return self.posts[post_id]
        for candidate in (self.orphans.get(post.content_hash), self.by_slug.get(post.slug)):
            if candidate is None or candidate.id in self.claimed:
                continue
            if candidate.state == PostState.REMOVED or candidate.source_path in self.gone:
                return candidate
        return None

    def update(self, stored: Stored, post: Post) -> None:
        if stored.source_path != post.source_path:
            self.plan.moved.append((stored.source_path, post.source_path))
        if stored.slug != post.slug:
            self.by_slug.pop(stored.slug, None)
            self.plan.renamed.append((stored.slug, stored.id))
        fields = post_fields(post)
        differs = stored.state != PostState.ACTIVE or any(
            stored.fields.get(k) != v for k, v in fields.items()
        )
        if differs:
            digest = view_hash(post)
            if digest != stored.view_hash and not self.mode.silent:
                stored.version += 1  # what readers see changed: sent messages get edited
            self.plan.updates.append(Update(stored.id, post, digest, stored.version))
            self.plan.changed.append(post.slug)
            stored.view_hash, stored.fields, stored.state = digest, fields, PostState.ACTIVE
        stored.slug, stored.source_path, stored.content_hash = post.slug, post.source_path, post.content_hash
        self.by_slug[stored.slug] = stored
        self.claimed.add(stored.id)

    def withdraw(self, post_id: int) -> None:
        """Mark a post removed unless some file in this scan still gives it."""
        stored = self.posts.get(post_id)
        if stored is None or post_id in self.claimed or stored.state == PostState.REMOVED:
            return
        stored.state = PostState.REMOVED
        self.plan.removed.append(post_id)
        self.plan.removed_slugs.append(stored.slug)
