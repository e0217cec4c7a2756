from bot.content.models import CategoryList, LatestPage, Notice, SearchResults, Transmission
from bot.content.render.text import render_search
from bot.services.reading import COMMANDS, Commands
from tests.both_databases import database_url  # noqa: F401  (these queries run on both databases)


async def seeded(app, write_post, count=12):
    for i in range(count):
        category = "生成模型" if i % 2 else "Python"
        write_post(f"p{i:02}.md", f"文章 {i}", date=f"2026-10-{i + 1:02}", category=category, slug=f"p{i:02}")
    write_post("draft.md", "草稿", date="2026-10-20", draft="true", slug="draft")
    write_post("future.md", "未来", date="2027-01-01", slug="future")
    await app.scan()


async def test_latest_pages_newest_first(app, write_post):
    await seeded(app, write_post)
    first = await app.commands.run("/latest", "zh")
    assert isinstance(first, LatestPage)
    assert (first.page, first.pages, first.total) == (1, 3, 12)
    assert [item.slug for item in first.items] == ["p11", "p10", "p09", "p08", "p07"]
    last = await app.commands.run("/latest 3", "zh")
    assert [item.slug for item in last.items] == ["p01", "p00"]


async def test_drafts_and_scheduled_posts_are_hidden_until_their_time(app, write_post, clock):
    await seeded(app, write_post)
    assert isinstance(await app.commands.run("/post draft", "zh"), Notice)
    assert isinstance(await app.commands.run("/post future", "zh"), Notice)
    clock.set(clock.now().replace(year=2027, month=1, day=2))
    assert isinstance(await app.commands.run("/post future", "zh"), Transmission)
    assert isinstance(await app.commands.run("/post draft", "zh"), Notice)


async def test_bad_page_arguments_get_helpful_replies(app, write_post):
    await seeded(app, write_post)
    for bad in ("/latest abc", "/latest 0", "/latest -1", "/latest 1.5", "/latest ２"):
        reply = await app.commands.run(bad, "en")
        assert isinstance(reply, Notice) and reply.is_error
        assert "positive whole number" in reply.text
    reply = await app.commands.run("/latest 99", "en")
    assert reply.text == "There is no page 99: there are 3 pages."


async def test_post_by_slug_and_usage(app, write_post):
    await seeded(app, write_post)
    post = await app.commands.run("/post p03", "zh")
    assert isinstance(post, Transmission) and post.title == "文章 3"
    assert (await app.commands.run("/post", "en")).text == "Usage: /post <slug>"
    assert "nope" in (await app.commands.run("/post nope", "en")).text


async def test_categories_counts_published_only(app, write_post):
    await seeded(app, write_post)
    reply = await app.commands.run("/categories", "zh")
    assert isinstance(reply, CategoryList)
    assert [(c.name, c.count) for c in reply.categories] == [("Python", 6), ("生成模型", 6)]


async def test_search_works_for_chinese_and_requires_all_words(app, write_post):
    write_post("a.md", "扩散模型的统一视角", body="Score matching 与 flow matching。", slug="a")
    write_post("b.md", "深度相机", body="双目、结构光与 ToF。", slug="b")
    await app.scan()
    found = await app.commands.run("/search 扩散", "zh")
    assert isinstance(found, SearchResults) and [i.slug for i in found.items] == ["a"]
    assert [i.slug for i in (await app.commands.run("/search FLOW 统一", "zh")).items] == ["a"]
    assert (await app.commands.run("/search 扩散 相机", "zh")).items == ()
    assert (await app.commands.run("/search 100%_", "zh")).items == ()
    assert (await app.commands.run("/search", "en")).text == "Usage: /search <words>"


async def test_unknown_command_and_botname_suffix(app, write_post):
    await seeded(app, write_post, count=1)
    assert "Unknown command /nope" in (await app.commands.run("/nope", "en")).text
    assert isinstance(await app.commands.run("/latest@TransmissionBot", "en"), LatestPage)
    assert await app.commands.run("hello", "en") is None


async def test_help_lists_every_command(app):
    reply = await app.commands.run("/help", "en")
    assert [line.split()[0] for line in reply.lines] == [f"/{c.name}" for c in COMMANDS]


async def test_empty_store(app):
    before = await app.commands.run("/latest", "en")  # never indexed: it says so, not "no posts"
    assert isinstance(before, Notice) and before.text.startswith("Indexing the posts: 0 read so far")
    await app.scan()
    page = await app.commands.run("/latest", "en")
    assert isinstance(page, LatestPage) and page.items == () and page.pages == 1


async def test_search_reads_whole_bodies_and_pages_through_results(app, write_post):
    for n in range(12):
        body = "开头的一段话。\n\n" + "中间的内容。\n\n" * 100 + f"这里第 {n} 次提到扩散过程。"
        write_post(f"s{n:02}.md", f"笔记 {n}", date=f"2026-10-{n + 1:02}", body=body, slug=f"s{n:02}")
    write_post("t.md", "扩散的标题", date="2026-01-01", body="正文。", slug="t")
    await app.scan()
    first = await app.commands.run("/search 扩散", "zh")
    assert isinstance(first, SearchResults)
    assert (first.page, first.pages, first.total, first.per_page) == (1, 3, 13, 5)
    assert [i.slug for i in first.items] == ["t", "s11", "s10", "s09", "s08"]  # the title hit, then newest
    assert first.snippets[0] == "" and "扩散过程" in first.snippets[1] and first.snippets[1].startswith("…")
    assert all(i.post_id > 0 for i in first.items)
    second = await app.commands.search("扩散", "zh", page=2)
    assert [i.slug for i in second.items] == ["s07", "s06", "s05", "s04", "s03"] and second.page == 2
    last = await app.commands.search("扩散", "zh", page=3)
    assert [i.slug for i in last.items] == ["s02", "s01", "s00"]
    beyond = await app.commands.search("扩散", "en", page=4)
    assert isinstance(beyond, Notice) and beyond.text == "There is no page 4: there are 3 pages."
    assert (await app.commands.search("扩散", "en", page=0)).is_error
    nothing = await app.commands.search("不存在", "zh", page=1)
    assert isinstance(nothing, SearchResults) and nothing.total == 0 and nothing.pages == 1


async def test_a_search_with_more_matches_than_it_counts_says_so(app, write_post, clock):
    for n in range(12):
        write_post(f"s{n:02}.md", f"笔记 {n}", date=f"2026-10-{n + 1:02}", body="讲扩散。", slug=f"s{n:02}")
    await app.scan()
    commands = Commands(app.sessions, clock, count_cap=5)
    commands.index.ready = True
    first = await commands.search("扩散", "en")
    assert isinstance(first, SearchResults) and (first.total, first.at_least, first.pages) == (5, True, 1)
    assert [i.slug for i in first.items] == ["s11", "s10", "s09", "s08", "s07"]
    assert render_search(first).splitlines()[0] == "Search “扩散”: 5+ results"
    assert isinstance(await commands.search("扩散", "en", page=2), Notice)  # pages end where counting did
    exact = await Commands(app.sessions, clock, count_cap=12).search("扩散", "en")
    assert (exact.total, exact.at_least, exact.pages) == (12, False, 3)


async def test_hostile_searches_find_nothing_without_error(app, write_post):
    await seeded(app, write_post, count=2)
    for hostile in ('"', "*", "NEAR(", "%", "_", "\\", ":", "&|!()", "#", "' OR 1=1 --"):
        reply = await app.commands.run(f"/search {hostile}", "en")
        assert isinstance(reply, SearchResults) and reply.items == (), hostile


# A blog like the seeds (/work/shared/seeds): three posts say 扩散, two of them only in the body;
# four are tagged diffusion, none saying so in a title, excerpt, category or slug.
LONG_SDE = "随机微分方程。\n\n" + "推导。\n\n" * 80 + "g(t) 可以看成是扩散系数。"
LONG_SCORE = "Score matching 的直觉。\n\n" + "细节。\n\n" * 80 + "它和扩散过程的联系。"
SEEDS = [
    ("camera.md", "深度相机", "双目方案、结构光与 TOF。" + "深度相机的分类。\n\n" * 60, "", "相机"),
    ("edm.md", "统一扩散模型框架", "基于 EDM 的推导。", "diffusion, 生成模型", "生成模型"),
    ("sde.md", "从 SDE 看生成模型", LONG_SDE, "diffusion, sde", "生成模型"),
    ("ddp.md", "DDP Pytorch 例子", "一个最简单的例子。", "pytorch", "Python"),
    ("score.md", "分数匹配", LONG_SCORE, "diffusion", "生成模型"),
    ("vae.md", "变分自编码器", "ELBO 的推导。", "vae, Diffusion", "生成模型"),
    ("relu.md", "激活函数去哪了", "ReLU 怎么了。", "llm", "随笔"),
]


async def test_the_reported_cases_on_a_seed_like_blog(app, write_post):
    for n, (name, title, body, tags, category) in enumerate(SEEDS):
        meta = {"category": category, "slug": name.removesuffix(".md")}
        if tags:
            meta["tags"] = tags
        write_post(name, title, date=f"2026-0{n + 1}-10", body=body, **meta)
    await app.scan()
    found = await app.commands.run("/search 扩散", "zh")
    assert found.total == 3 and [i.slug for i in found.items] == ["edm", "score", "sde"]
    assert "扩散" in found.snippets[1] and "扩散" in found.snippets[2]
    for query in ("/search diffusion", "/search #diffusion", "/search DIFFUSION"):
        tagged = await app.commands.run(query, "zh")
        assert tagged.total == 4 and {i.slug for i in tagged.items} == {"edm", "sde", "score", "vae"}, query
    both = await app.commands.run("/search 扩散，diffusion", "zh")
    assert {i.slug for i in both.items} == {"edm", "sde", "score"}
