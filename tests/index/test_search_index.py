"""The search index follows the scans: new, edited, removed and re-derived posts (both databases)."""

import os

from sqlalchemy import select

from bot.content.search_query import parse_query
from bot.index import indexer
from bot.store import posts, search_index
from bot.store.database import create_engine, session_factory, upgrade
from bot.store.models import PostRow
from tests.conftest import NOW


async def found(app, text):
    async with app.sessions() as session:
        rows, total = await posts.search(session, parse_query(text), NOW, 0, 20)
    return sorted(row.slug for row in rows), total


async def texts(app):
    async with app.sessions() as session:
        query = select(PostRow.search_text).order_by(PostRow.slug)
        return list((await session.execute(query)).scalars())


async def backlog(app):
    async with app.sessions() as session:
        return await search_index.search_backlog(session)


async def test_scans_keep_the_index_in_step(app, posts_dir, write_post):
    write_post("a.md", "甲", body="开头。\n\n" + "正文。\n\n" * 200 + "结尾讲扩散模型。", slug="a")
    write_post("b.md", "乙", body="关于采样。", slug="b", tags="diffusion, VAE")
    await app.scan()
    assert await backlog(app) == 0  # a small backlog is indexed by the scan itself
    assert await found(app, "扩散模型") == (["a"], 1)
    assert await found(app, "#vae") == (["b"], 1)
    write_post("a.md", "甲", body="现在讲采样。", slug="a")
    await app.scan()
    assert await found(app, "扩散") == ([], 0)
    assert await found(app, "采样") == (["a", "b"], 2)
    os.remove(posts_dir / "b.md")
    await app.scan()
    assert await found(app, "采样") == (["a"], 1)


async def test_a_big_backlog_is_indexed_later_and_searched_meanwhile(app, write_post, monkeypatch):
    monkeypatch.setattr(indexer, "SEARCH_NOW", 2)
    monkeypatch.setattr(indexer, "SEARCH_DELAY", 3600.0)
    for n in range(5):
        write_post(f"p{n}.md", f"第{n}篇", body=f"扩散 {n}", slug=f"p{n}")
    await app.scan()
    assert await backlog(app) == 10 and app.indexer._search_task is not None  # no text, no index
    assert await texts(app) == [""] * 5  # a big scan leaves the search text to the catch-up
    assert await found(app, "扩散") == ([f"p{n}" for n in range(5)], 5)
    assert await app.indexer.index_search() > 0
    assert await backlog(app) == 0 and await texts(app) == [f"扩散 {n}" for n in range(5)]
    assert await found(app, "扩散") == ([f"p{n}" for n in range(5)], 5)


async def test_a_post_without_words_is_derived_once_in_big_and_small_scans(app, write_post, monkeypatch):
    code_only = "```python\nprint(1)\n```\n\n![](a.png)"
    monkeypatch.setattr(indexer, "SEARCH_NOW", 2)
    monkeypatch.setattr(indexer, "SEARCH_DELAY", 3600.0)
    for n in range(3):  # a big scan: left to the catch-up, which must end
        write_post(f"p{n}.md", f"第{n}篇", body=code_only, slug=f"p{n}")
    await app.scan()
    assert await app.indexer.index_search() > 0
    assert await backlog(app) == 0
    monkeypatch.setattr(indexer, "SEARCH_NOW", 200)
    write_post("q.md", "无字", body=code_only, slug="q")  # a small scan: derived by the parser
    await app.scan()
    assert await backlog(app) == 0
    assert await texts(app) == [" "] * 4  # stored as "derived, no words", never as "to derive"
    assert await found(app, "第1篇") == (["p1"], 1)


async def test_posts_edited_in_a_big_scan_are_searched_until_their_text_comes(app, write_post, monkeypatch):
    for n in range(4):
        write_post(f"p{n}.md", f"第{n}篇", body=f"旧文 {n}", slug=f"p{n}")
    await app.scan()
    monkeypatch.setattr(indexer, "SEARCH_NOW", 2)
    monkeypatch.setattr(indexer, "SEARCH_DELAY", 3600.0)
    for n in range(4):
        write_post(f"p{n}.md", f"第{n}篇", body=f"新文 {n}", slug=f"p{n}")
    await app.scan()
    assert await texts(app) == [""] * 4
    assert await found(app, "新文") == ([f"p{n}" for n in range(4)], 4)  # counted once each
    assert await found(app, "旧文") == ([], 0)
    await app.indexer.index_search()
    assert await found(app, "新文") == ([f"p{n}" for n in range(4)], 4)


async def test_the_background_indexing_runs_after_a_quiet_spell(app, write_post, monkeypatch):
    monkeypatch.setattr(indexer, "SEARCH_NOW", 0)
    monkeypatch.setattr(indexer, "SEARCH_DELAY", 0.0)
    write_post("a.md", "甲", body="扩散", slug="a")
    await app.scan()
    task = app.indexer._search_task
    assert task is not None
    await task
    assert await backlog(app) == 0 and await found(app, "扩散") == (["a"], 1)


async def test_a_rederivation_rebuilds_the_index(app, write_post):
    write_post("a.md", "甲", body="扩散", slug="a")
    await app.scan()
    report = await app.scan(rederive=True)
    assert report.rederived and await backlog(app) == 0  # one post: rebuilt by the scan itself
    assert await found(app, "扩散") == (["a"], 1)


OLD_POST = (
    "INSERT INTO posts (slug, source_path, title, category, tags, published_at, excerpt, url, lang, draft, "
    "content_hash, view_hash, version, state, first_seen_at, updated_at) VALUES ('old', 'old.md', "
    "'旧的扩散文章', '随笔', '[\"Diffusion\"]', '2026-01-01 00:00:00', 'e', 'u', 'zh', false, 'h', 'v', 1, "
    "'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)


async def test_a_store_from_before_search_is_searched_and_indexed(database_url, tmp_path):
    engine = create_engine(database_url)
    await upgrade(engine, "0003")
    async with engine.begin() as connection:
        await connection.exec_driver_sql(OLD_POST)
    await upgrade(engine)
    sessions = session_factory(engine)
    try:
        for _ in range(2):  # before the index catches up, and after
            async with sessions() as session:
                rows, total = await posts.search(session, parse_query("扩散 #diffusion"), NOW, 0, 5)
                assert [r.slug for r in rows] == ["old"] and total == 1
                while await search_index.catch_up_search(session):
                    pass
                await session.commit()
    finally:
        await engine.dispose()


async def test_an_index_built_by_other_rules_is_emptied_and_rebuilt_at_the_next_start(app, write_post):
    from bot.store.models import MetaValue
    from bot.store.search_index import RULES_KEY, SEARCH_RULES

    write_post("a.md", "扩散模型入门", body="去噪模型的采样，扩散模型。", slug="a")
    await app.scan()
    async with app.sessions.begin() as session:
        assert (await session.get(MetaValue, RULES_KEY)).value == SEARCH_RULES
        (await session.get(MetaValue, RULES_KEY)).value = "1"  # as an older bot left it
    app.indexer._rules_checked = False  # a new start
    await app.scan()
    async with app.sessions() as session:
        assert (await session.get(MetaValue, RULES_KEY)).value == SEARCH_RULES
    await app.indexer.index_search()
    assert await backlog(app) == 0
    assert await found(app, "扩散模") == (["a"], 1)
    assert await found(app, "噪模型") == (["a"], 1)
    assert await found(app, "扩散模型的") == ([], 0)  # its triples are all there, not in a row
    assert await found(app, "模型的采样") == (["a"], 1)
