"""PostgreSQL's search: tsquery over the GIN-indexed lexemes of posts (bot.store.posts.search).

`search_lexemes` holds a post's CJK characters, pairs and triples, words, marked title lexemes and
tags; `title_lexemes` a title's own, small enough to stay in the row. A CJK piece of 4+ characters
is checked in the text of the posts its triples narrowed down to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.content.search_query import TITLE_MARK, SearchQuery, Term, is_cjk, tag_token
from bot.store.models import PostRow

Ranked = tuple[Any, int]  # (what orders it, newest last; the post id)


def _ts_piece(piece: str, mark: str) -> str:
    if not is_cjk(piece):
        return f"'{mark}{piece}':*"
    size = 2 if mark else 3  # marked titles are indexed by characters and pairs, the rest by triples too
    grams = [piece] if len(piece) <= size else [piece[i : i + size] for i in range(len(piece) - size + 1)]
    return " & ".join(f"'{mark}{gram}'" for gram in grams)


def _ts_term(term: Term, mark: str = "") -> str:
    if term.tag is not None:
        return f"'{tag_token(term.tag)}'"
    return "(" + " & ".join(_ts_piece(piece, mark) for piece in term.pieces) + ")"


def _lexemes_match(column: InstrumentedAttribute[str | None], tsquery: str) -> ColumnElement[bool]:
    return column.op("@@", return_type=Boolean)(literal(tsquery, TSQUERY))


def _in_any_field(piece: str) -> ColumnElement[bool]:
    tags = func.json_array_elements_text(PostRow.tags).table_valued("value")
    return or_(
        *(func.strpos(column, piece) > 0 for column in (PostRow.title, PostRow.category, PostRow.slug)),
        func.strpos(PostRow.search_text, piece) > 0,
        exists(select(literal(1)).select_from(tags).where(func.strpos(tags.c.value, piece) > 0)),
    )


def _checked(term: Term, title_only: bool, longer: int = 3) -> list[ColumnElement[bool]]:
    # A piece the index holds whole (a triple, a marked title's pair) needs no look at the text.
    long = [piece for piece in term.pieces if is_cjk(piece) and len(piece) > longer]
    if title_only:
        return [func.strpos(PostRow.title, piece) > 0 for piece in long]
    return [_in_any_field(piece) for piece in long]


# The GIN indexes' own predicate, word for word, so the planner can use the partial indexes.
_INDEXED_SQL = text("posts.state = 'active' AND NOT posts.draft")


class GinIndex:
    """PostgreSQL: GIN indexes over search_lexemes and title_lexemes, long CJK pieces checked in the text.

    Plans are partly chosen here, from the count: the planner cannot tell a common word from a
    rare one (a CJK triple in 16,000 posts is "2 rows" to it), and each wrong guess costs
    0.1-0.3 s. Up to `most` matches: they come from the GIN bitmap, sorted by date. More: the
    newest posts are walked and each one checked, stopping at the page's last hit or after
    `_WALK` posts (a sparse word then goes to the bitmap after all).
    """

    def __init__(self, query: SearchQuery, published: ColumnElement[bool]) -> None:
        self.visible = visible = and_(_INDEXED_SQL, published)
        self.counted_all = False  # whether the count found every match (set by `first`)
        self.everything = and_(
            visible,
            _lexemes_match(PostRow.search_lexemes, " & ".join(_ts_term(term) for term in query.terms)),
            *(check for term in query.terms for check in _checked(term, False)),
        )
        titles = (
            and_(_lexemes_match(PostRow.title_lexemes, _ts_term(t)), *_checked(t, True)) for t in query.plain
        )
        self.in_title = or_(false(), *titles)
        # The same, from the marked title lexemes among the post's: one GIN scan with the rest.
        marked = (
            and_(_lexemes_match(PostRow.search_lexemes, _ts_term(t, TITLE_MARK)), *_checked(t, True, 2))
            for t in query.plain
        )
        self.in_title_marked = or_(false(), *marked)
        # With one term a title hit matches the whole query: only the title's small lexemes are
        # read, and the planner knows their statistics well.
        self.single = len(query.terms) == 1

    async def first(self, session: AsyncSession, need: int, most: int) -> tuple[int, list[Ranked]]:
        """Return the total (up to `most`) and the best `need` title hits."""
        # The matches are gathered apart (MATERIALIZED: planned without the LIMIT) so the planner
        # takes the GIN bitmap: with the LIMIT in view it walks the date index instead and reads
        # each row's lexemes, ~18 KB out of line, 20-30 ms for 1,000 rows of a common word; the
        # bitmap is read only as far as the count needs.
        matching = select(literal(1).label("hit")).where(self.everything).cte("matching")
        matching = matching.prefix_with("MATERIALIZED")
        counted = select(matching.c.hit).limit(most).subquery()
        total = select(func.count().label("n")).select_from(counted).subquery()
        best = _newest(and_(self.visible, self.in_title) if self.single else false(), need).subquery()
        both = select(total.c.n, best.c.published_at, best.c.id).select_from(total.outerjoin(best, true()))
        await session.execute(_PLANNING)
        rows = (await session.execute(both.order_by(best.c.published_at.desc(), best.c.id.desc()))).all()
        self.counted_all = int(rows[0][0]) < most
        found = [((at, post_id), post_id) for _, at, post_id in rows if post_id is not None]
        if not self.single:  # the title first: it is small and in the row, the body's lexemes are not
            walked = and_(self.in_title, self.everything)
            found = await self._newest(session, walked, need, and_(self.everything, self.in_title_marked))
        return int(rows[0][0]), found

    async def rest(self, session: AsyncSession, count: int) -> list[Ranked]:
        """Return the best `count` matches that are not title hits."""
        return await self._newest(session, and_(not_(self.in_title), self.everything), count)

    async def _newest(
        self,
        session: AsyncSession,
        where: ColumnElement[bool],
        count: int,
        bitmap: ColumnElement[bool] | None = None,
    ) -> list[Ranked]:
        """Return the newest `count` posts `where` holds; `bitmap`: the same, for the GIN bitmap."""
        if not self.counted_all:
            walk = _WALK + _WALK_PER_HIT * count
            newest = select(PostRow.id, PostRow.published_at).where(self.visible)
            recent = newest.order_by(PostRow.published_at.desc(), PostRow.id.desc()).limit(walk).subquery()
            # Without bitmaps the only plan is the walk: each of the newest posts looked up and
            # checked in date order, so the LIMIT stops it at the `count`th hit.
            await session.execute(_WALKING)
            query = (
                select(recent.c.published_at, recent.c.id)
                .join(PostRow, PostRow.id == recent.c.id)
                .where(where)
                .order_by(recent.c.published_at.desc(), recent.c.id.desc())
                .limit(count)
            )
            found = [((when, post_id), post_id) for when, post_id in await session.execute(query)]
            if len(found) == count:
                return found
        await session.execute(_FROM_BITMAP)
        rows = await session.execute(_newest(where if bitmap is None else bitmap, count))
        return [((when, post_id), post_id) for when, post_id in rows]


# For this transaction. The planner prices reading a common word from every row's lexemes (a
# sequential scan, each row's tsvector detoasted) below the index: seconds against milliseconds.
# And each search is planned for its own words: after five runs of one statement PostgreSQL may
# keep a generic plan, made without the tsquery, which took a common word 2-3 times as long.
_PLANNING = text(
    "SELECT set_config('enable_seqscan', 'off', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)
# Each strategy sets all it needs (for the rest of the transaction: the rows are then fetched by
# their ids either way). Walking: no bitmaps, so the GIN indexes cannot be taken. From the bitmap:
# no index walk, which with a LIMIT in view the planner prefers, reading each row's lexemes.
_WALKING = text(
    "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_indexscan', 'on', true)"
)
_FROM_BITMAP = text(
    "SELECT set_config('enable_bitmapscan', 'on', true), set_config('enable_indexscan', 'off', true)"
)
_WALK = 400  # posts a walk looks at before it leaves a sparse word to the bitmap (~8 ms)
_WALK_PER_HIT = 30  # and more for a deep page


def _newest(where: ColumnElement[bool], count: int) -> Select[datetime, int]:
    query = select(PostRow.published_at, PostRow.id).where(where)
    return query.order_by(PostRow.published_at.desc(), PostRow.id.desc()).limit(count)
