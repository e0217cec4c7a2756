"""posts.search on SQLite and PostgreSQL (this folder runs on both): the same answers as the reference rules.

Posts are written the way the indexer writes them (Core inserts, ORM updates), so the search index
is kept by the same triggers and catch-up; each check runs before the index has caught up (posts
matched directly), after, and half-way.
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, update

from bot.content.search_query import Document, matches, parse_query, title_hit
from bot.content.search_text import search_text
from bot.store import posts, search_index, search_postgres
from bot.store.database import create_engine, session_factory, upgrade
from bot.store.models import PostRow
from bot.store.states import PostState

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
POSTS = PostRow.__table__


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


def row(number, title="", body="", tags=(), category="随笔", slug=None, days=0, **extra):
    published = NOW - timedelta(days=days, hours=number)
    return {
        "slug": slug or f"post-{number}",
        "source_path": f"p{number}.md",
        "title": title,
        "category": category,
        "tags": list(tags),
        "published_at": published,
        "excerpt": body[:50],
        "url": f"https://example.org/{number}",
        "image": None,
        "lang": "zh",
        "draft": False,
        "content_hash": f"h{number}",
        "view_hash": "v",
        "version": 1,
        "state": PostState.ACTIVE,
        "first_seen_at": NOW,
        "updated_at": NOW,
        "announced_at": NOW,
        "body": body,
        "search_text": search_text(body),
    } | extra


async def store(sessions, rows, index=True):
    async with sessions() as session:
        await session.execute(insert(POSTS), rows)
        await session.commit()
    if index:
        await catch_up(sessions)


async def catch_up(sessions, batches=None):
    while batches is None or batches > 0:
        async with sessions() as session:
            done = await search_index.catch_up_search(session, batch=7)
            await session.commit()
        if not done:
            return
        batches = None if batches is None else batches - 1


async def found(sessions, text, offset=0, limit=50, now=NOW):
    async with sessions() as session:
        rows, total = await posts.search(session, parse_query(text), now, offset, limit)
    return [r.slug for r in rows], total


async def test_bodies_tags_and_cjk_substrings(sessions):
    await store(
        sessions,
        [
            row(1, "统一扩散模型框架", "我们讨论 Score matching。", tags=["diffusion"]),
            row(2, "深度相机", "双目、结构光与 ToF。" + "正文。" * 300 + "最后提到扩散过程。"),
            row(3, "DDP 例子", "多卡训练。", tags=["Diffusion", "pytorch"], category="Python"),
            row(4, "激活函数", "ReLU 与 GELU。", slug="activation-functions"),
        ],
    )
    assert await found(sessions, "扩散") == (["post-1", "post-2"], 2)  # the title hit first
    assert await found(sessions, "扩") == (["post-1", "post-2"], 2)
    assert await found(sessions, "扩散过程") == (["post-2"], 1)
    assert await found(sessions, "diffusion") == (["post-1", "post-3"], 2)
    assert await found(sessions, "#DIFFUSION") == (["post-1", "post-3"], 2)
    assert await found(sessions, "#diff") == ([], 0)
    assert await found(sessions, "SCORE") == (["post-1"], 1)
    assert await found(sessions, "gel") == (["activation-functions"], 1)  # a word's start, any case
    assert await found(sessions, "elu") == ([], 0)  # not the middle of a word
    assert await found(sessions, "python 多卡") == (["post-3"], 1)  # category, body
    assert await found(sessions, "activation") == (["activation-functions"], 1)  # slug
    assert await found(sessions, "扩散 tof") == (["post-2"], 1)
    assert await found(sessions, "扩散，相机") == (["post-2"], 1)


async def test_title_hits_first_then_newest_and_pages(sessions):
    await store(
        sessions,
        [row(n, f"笔记 {n}", "关于采样的讨论。") for n in range(1, 9)]
        + [row(9, "采样方法", "正文。", days=30), row(10, "老的采样", "正文。", days=60)],
    )
    slugs, total = await found(sessions, "采样", limit=100)
    assert total == 10
    assert slugs == ["post-9", "post-10"] + [f"post-{n}" for n in range(1, 9)]
    assert await found(sessions, "采样", offset=3, limit=3) == (["post-2", "post-3", "post-4"], 10)
    assert await found(sessions, "采样", offset=1, limit=2) == (["post-10", "post-1"], 10)
    assert await found(sessions, "采样", offset=10, limit=5) == ([], 10)


async def counted(sessions, text, count_up_to, offset=0, limit=3):
    async with sessions() as session:
        rows, total = await posts.search(session, parse_query(text), NOW, offset, limit, count_up_to)
    return [r.slug for r in rows], total


@pytest.mark.parametrize("indexed", [True, False], ids=["indexed", "pending"])
async def test_a_bounded_count_stops_past_the_bound_and_pages_stay_right(sessions, indexed):
    hidden = [
        row(20, "损失函数 草稿", draft=True),
        row(21, "损失函数 未来", published_at=NOW + timedelta(days=1)),
    ]
    near_misses = [row(30 + n, f"损失 {n}", "函数与损失函") for n in range(4)]  # the triples, not the word
    await store(
        sessions, [row(n, f"笔记 {n}", "关于损失函数。") for n in range(1, 8)] + hidden + near_misses, indexed
    )
    assert await counted(sessions, "损失函数", None) == (["post-1", "post-2", "post-3"], 7)
    assert await counted(sessions, "损失函数", 7) == (["post-1", "post-2", "post-3"], 7)  # all of them
    assert await counted(sessions, "损失函数", 6) == (["post-1", "post-2", "post-3"], 7)  # more than 6
    slugs, total = await counted(sessions, "损失函数", 3)
    assert total == (4 if indexed else 7)  # posts not indexed yet are matched directly, all counted
    assert slugs == ["post-1", "post-2", "post-3"]
    assert await counted(sessions, "损失函数", 3, offset=5) == (["post-6", "post-7"], total)
    assert await counted(sessions, "笔记 损失", 2, offset=6) == (["post-7"], 3 if indexed else 7)


async def test_drafts_future_and_removed_posts_are_never_found(sessions):
    await store(
        sessions,
        [
            row(1, "扩散 a"),
            row(2, "扩散 b", draft=True),
            row(3, "扩散 c", published_at=NOW + timedelta(days=1)),
            row(4, "扩散 d", state=PostState.REMOVED),
        ],
    )
    assert await found(sessions, "扩散") == (["post-1"], 1)
    assert await found(sessions, "扩散", now=NOW + timedelta(days=2)) == (["post-3", "post-1"], 2)


async def test_edits_reach_the_index(sessions):
    await store(sessions, [row(1, "旧标题", "正文"), row(2, "另一篇", "正文", draft=True)])
    async with sessions() as session:
        first = (await session.execute(select(PostRow).where(PostRow.slug == "post-1"))).scalar_one()
        first.title, first.search_text, first.tags = "新标题", "新的扩散正文", ["VAE"]
        await session.execute(update(PostRow).where(PostRow.slug == "post-2").values(draft=False))
        await session.commit()
    if (await found(sessions, "旧标题"))[1]:
        pytest.fail("an edited title is still found")
    assert await found(sessions, "新标题 扩散 #vae") == (["post-1"], 1)
    await catch_up(sessions)
    assert await found(sessions, "新标题 扩散 #vae") == (["post-1"], 1)
    assert await found(sessions, "另一篇") == (["post-2"], 1)
    async with sessions() as session:
        await session.execute(update(PostRow).values(state=PostState.REMOVED))
        await session.commit()
    assert await found(sessions, "正文") == ([], 0)


@pytest.mark.parametrize(
    "hostile",
    ['"', "*", "NEAR(", "%", "_", "\\", ":", "&|!()", "' OR 1=1 --", "{title}:扩", "a*b", "$$", "^", "-x"],
)
async def test_hostile_queries_do_not_error(sessions, hostile):
    await store(sessions, [row(1, "a*b 100% x_y", "NEAR(扩散) title:x -x")])
    slugs, total = await found(sessions, hostile)
    assert total == len(slugs) and total in (0, 1)


async def test_reset_rebuilds_the_index(sessions):
    await store(sessions, [row(n, f"扩散 {n}") for n in range(1, 20)])
    async with sessions() as session:
        await search_index.reset_search(session)
        assert await search_index.search_backlog(session) == 19
        await session.commit()
    assert (await found(sessions, "扩散"))[1] == 19
    await catch_up(sessions)
    async with sessions() as session:
        assert await search_index.search_backlog(session) == 0
    assert (await found(sessions, "扩散"))[1] == 19


# --- against the reference, on a random corpus -------------------------------------------------

CJK = "扩散模型采样梯度噪声分布"
WORDS = ["diffusion", "Diff", "score", "Scorer", "model", "ai", "x", "gpt-4", "ReLU"]
TAGS = ["diffusion", "VAE", "扩散模型", "score-matching", "Python"]


def random_text(rng, size):
    parts = []
    for _ in range(size):
        if rng.random() < 0.5:
            parts.append("".join(rng.choice(CJK) for _ in range(rng.randint(1, 4))))
        else:
            parts.append(rng.choice(WORDS))
        parts.append(rng.choice(["", " ", "，", "。", "-", " "]))
    return "".join(parts)


def random_query(rng):
    terms = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.15:
            terms.append("#" + rng.choice(["diffusion", "VAE", "扩散模型", "score-matching"]))
        elif kind < 0.6:
            terms.append("".join(rng.choice(CJK) for _ in range(rng.randint(1, 4))))
        else:
            terms.append(rng.choice([*WORDS, "DIFF", "sco", "mod", "扩散model"]))
    return rng.choice([" ", "，", "、"]).join(terms)


def expected(rows, text):
    query = parse_query(text)
    hits = []
    for r in rows:
        if r["state"] != PostState.ACTIVE or r["draft"] or r["published_at"] > NOW:
            continue
        document = Document(r["title"], r["tags"], r["category"], r["slug"], r["search_text"])
        if matches(query, document):
            hits.append((not title_hit(query, document), -r["published_at"].timestamp(), -r["id"], r["slug"]))
    return [hit[-1] for hit in sorted(hits)]


async def random_corpus(sessions, rng):
    """Store 60 random posts (not indexed yet); return their rows, ids filled in."""
    rows = []
    for number in range(1, 61):
        rows.append(
            row(
                number,
                random_text(rng, rng.randint(1, 3)),
                random_text(rng, rng.randint(0, 12)),
                tags=rng.sample(TAGS, rng.randint(0, 2)),
                category=rng.choice(["生成模型", "Python", "随笔"]),
                days=rng.choice([0, 0, 1, 2]),  # ties in date are common
                draft=rng.random() < 0.1,
                state=PostState.REMOVED if rng.random() < 0.1 else PostState.ACTIVE,
            )
            | ({"published_at": NOW + timedelta(hours=1)} if number % 17 == 0 else {})
        )
    await store(sessions, rows, index=False)
    async with sessions() as session:
        ids = dict((await session.execute(select(PostRow.slug, PostRow.id))).all())
    for r in rows:
        r["id"] = ids[r["slug"]]
    return rows


async def test_every_query_finds_what_the_reference_rules_find(sessions):
    rng = random.Random(20261203)
    rows = await random_corpus(sessions, rng)
    queries = [random_query(rng) for _ in range(60)]
    for stage in ("nothing indexed", "half indexed", "all indexed"):
        if stage == "half indexed":
            await catch_up(sessions, batches=4)
        elif stage == "all indexed":
            await catch_up(sessions)
        for text in queries:
            want = expected(rows, text)
            assert await found(sessions, text, limit=100) == (want, len(want)), (stage, text)
            assert (await found(sessions, text, offset=2, limit=3))[0] == want[2:5], (stage, text)


async def test_the_published_count_follows_inserts_edits_and_deletes(sessions):
    rng = random.Random(7)
    await store(sessions, [row(n, draft=n % 5 == 0, days=-(n % 7 == 0)) for n in range(1, 40)], index=False)

    async def both():
        async with sessions() as session:
            slow = select(func.count()).select_from(PostRow).where(posts.published(NOW))
            return await posts.count_published(session, NOW), (await session.execute(slow)).scalar_one()

    fast, slow = await both()
    assert fast == slow > 0
    for _ in range(30):
        async with sessions() as session:
            target = rng.randint(1, 39)
            change = rng.choice(
                [{"draft": True}, {"draft": False}, {"state": PostState.REMOVED}, {"state": PostState.ACTIVE}]
            )
            await session.execute(update(PostRow).where(PostRow.id == target).values(**change))
            await session.commit()
        fast, slow = await both()
        assert fast == slow
    async with sessions() as session:
        await session.execute(delete(PostRow).where(PostRow.id <= 10))
        await session.commit()
    fast, slow = await both()
    assert fast == slow


@pytest.mark.parametrize("walk", [(400, 30), (2, 0)], ids=["walk-finds", "walk-gives-up"])
async def test_bounded_counts_choose_plans_that_find_the_same_pages(sessions, monkeypatch, walk):
    """PostgreSQL walks the newest posts when the count stops early, else reads the bitmap; both agree."""
    monkeypatch.setattr(search_postgres, "_WALK", walk[0])
    monkeypatch.setattr(search_postgres, "_WALK_PER_HIT", walk[1])
    rng = random.Random(20261204)
    rows = await random_corpus(sessions, rng)
    await catch_up(sessions)
    for text in [random_query(rng) for _ in range(40)] + ["扩", "diff", "扩散 diffusion", "模型 #vae"]:
        want = expected(rows, text)
        for cap in (1, 3, None):
            for offset, limit in ((0, 3), (2, 3), (0, 100)):
                slugs, total = await counted(sessions, text, cap, offset, limit)
                assert slugs == want[offset : offset + limit], (text, cap, offset)
                assert total == (len(want) if cap is None else min(len(want), cap + 1)), (text, cap)
