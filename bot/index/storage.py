"""How a scan reads and writes the store: the posts and files it can touch, in batches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from bot.content.models import Post
from bot.index.plan import FileRecord, Plan, Stored, post_fields, view_hash
from bot.index.reader import Read
from bot.store.models import FileSeen, PostRow, SlugHistory
from bot.store.states import PostState

# Core tables for the bulk inserts of a cold index: no ORM bookkeeping for 10,000 rows.
POSTS = cast(Table, PostRow.__table__)
FILES_SEEN = cast(Table, FileSeen.__table__)
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    """Split `items` into slices small enough for one IN (...) clause."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def apply_plan(session: AsyncSession, plan: Plan, rows: dict[int, PostRow], now: datetime) -> None:
    """Write a plan: freed slugs first (slugs are unique), then removals, updates and inserts."""
    for post_id, slug in plan.released.items():
        rows[post_id].slug = slug
    if plan.released:
        await session.flush()
    for post_id in plan.removed:
        rows[post_id].state, rows[post_id].updated_at = PostState.REMOVED, now
    for update in plan.updates:
        row = rows[update.post_id]
        for name, value in post_fields(update.post).items():
            setattr(row, name, value)
        row.view_hash, row.version = update.view_hash, update.version
        row.state, row.updated_at = PostState.ACTIVE, now
    for old_slug, post_id in plan.renamed:
        await session.merge(SlugHistory(slug=old_slug, post_id=post_id, changed_at=now))
    await session.flush()
    await _insert_posts(
        session, [_new_row(post, now, announced) for post, announced in plan.inserts], plan.files
    )


POST_COLUMNS = (
    "slug", "source_path", "title", "category", "tags", "published_at", "excerpt", "url", "image", "lang",
    "draft", "content_hash", "body", "search_text",
)  # fmt: skip


def stored_post(row: PostRow) -> Stored:
    """Return the planner's copy of a stored post."""
    fields = {name: getattr(row, name) for name in POST_COLUMNS}
    return Stored(
        row.id,
        row.slug,
        row.source_path,
        row.content_hash,
        PostState(row.state),
        row.view_hash,
        row.version,
        fields,
    )


async def load_files(session: AsyncSession, paths: list[str]) -> dict[str, FileSeen]:
    """Return the files_seen rows of these paths."""
    found: dict[str, FileSeen] = {}
    for chunk in chunks(paths):
        for row in (await session.execute(select(FileSeen).where(FileSeen.path.in_(chunk)))).scalars():
            found[row.path] = row
    return found


async def load_posts(
    session: AsyncSession, reads: list[Read], vanished: list[str], seen: dict[str, FileSeen]
) -> dict[int, PostRow]:
    """Load only the posts this scan can touch: by file, slug, content hash, and removed ones."""
    ids = [r.post_id for r in seen.values() if r.post_id is not None]
    slugs = [r.post.slug for r in reads if r.post is not None]
    hashes = [r.post.content_hash for r in reads if r.post is not None]
    posts: dict[int, PostRow] = {}
    # The planner compares every stored column, the deferred search text too.
    stored = select(PostRow).options(undefer(PostRow.search_text))
    for column, values in ((PostRow.id, ids), (PostRow.slug, slugs), (PostRow.content_hash, hashes)):
        for chunk in chunks(values):
            for row in (await session.execute(stored.where(column.in_(chunk)))).scalars():
                posts[row.id] = row
    for path_chunk in chunks(vanished):
        query = stored.where(or_(PostRow.source_path.in_(path_chunk)))
        for row in (await session.execute(query)).scalars():
            posts[row.id] = row
    return posts


async def _insert_posts(session: AsyncSession, rows: list[dict[str, Any]], files: list[FileRecord]) -> None:
    """Insert new posts in bulk, then point their files at the new ids."""
    if not rows:
        return
    for batch in chunks(rows, 1000):
        await session.execute(insert(POSTS), list(batch))
    ids: dict[str, int] = {}
    for slugs in chunks([row["slug"] for row in rows]):
        result = await session.execute(select(PostRow.slug, PostRow.id).where(PostRow.slug.in_(slugs)))
        ids.update({slug: post_id for slug, post_id in result})
    for item in files:
        if item.new_slug is not None:
            item.post_id = ids[item.new_slug]


async def write_files(session: AsyncSession, touched: list[str], files: list[FileRecord]) -> None:
    """Replace the files_seen rows of every path this scan touched."""
    for chunk in chunks(sorted(set(touched))):
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
    for batch in chunks(values, 1000):
        await session.execute(insert(FILES_SEEN), list(batch))


def _new_row(post: Post, now: datetime, announced: datetime | None) -> dict[str, Any]:
    return post_fields(post) | {
        "view_hash": view_hash(post),
        "version": 1,
        "state": PostState.ACTIVE,
        "first_seen_at": now,
        "updated_at": now,
        "announced_at": announced,
    }


async def count_active(session: AsyncSession) -> int:
    """Count the posts whose files are present."""
    query = select(func.count()).select_from(PostRow).where(PostRow.state == PostState.ACTIVE)
    return int((await session.execute(query)).scalar_one())
