from bot.content.models import CategoryList, LatestPage, Notice, SearchResults, Transmission
from bot.services.reading import COMMANDS
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
