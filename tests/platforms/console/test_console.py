import io
import os

from bot.broadcast.platform import Target
from bot.platforms.console.platform import ConsoleInput, ConsolePlatform
from tests.conftest import NOW


async def test_send_prints_and_returns_increasing_ids():
    from bot.content.models import Transmission

    out = io.StringIO()
    platform = ConsolePlatform(out, NOW.tzinfo)
    view = Transmission("s", "标题", "分类", NOW, "摘要", "https://x.example/s")
    assert await platform.send(Target("stdout"), view) == ["1"]
    assert await platform.send(Target("stdout"), view) == ["2"]
    assert out.getvalue().count("INCOMING TRANSMISSION") == 2
    assert "标题" in out.getvalue() and "分类 · 2026-11-22" in out.getvalue()


async def test_typed_lines_are_answered_with_or_without_slash(app, write_post):
    for i in range(7):
        write_post(f"p{i}.md", f"Post {i}", date=f"2026-11-0{i + 1}", slug=f"p{i}")
    await app.scan()
    out = io.StringIO()
    typed = ConsoleInput(ConsolePlatform(out, app.settings.zone), app.commands.run, "en")
    await typed.handle("/latest 2")
    assert "6. Post 1" in out.getvalue() and "Page 2/2" in out.getvalue()
    await typed.handle("post p3")
    assert "Post 3" in out.getvalue()
    await typed.handle("/latest x")
    assert "positive whole number" in out.getvalue()
    await typed.handle("categories")
    assert "未分类 — 7 posts" in out.getvalue()  # the posts are Chinese, the reply English


async def test_typed_lines_reach_the_console_through_a_real_terminal_pipe(app, write_post):
    import asyncio
    import pty

    write_post("p.md", "Piped", slug="p")
    await app.scan()
    leader, follower = pty.openpty()
    out = io.StringIO()
    answered = asyncio.Event()

    async def answer(line, lang):
        view = await app.commands.run(line, lang)
        answered.set()
        return view

    typed = ConsoleInput(ConsolePlatform(out, app.settings.zone), answer, "en")
    stream = os.fdopen(follower, "r")
    try:
        assert typed.attach(stream)
        os.write(leader, b"/latest\n")
        await asyncio.wait_for(answered.wait(), 10)
        for _ in range(100):
            if "Piped" in out.getvalue():
                break
            await asyncio.sleep(0)
        assert "Piped" in out.getvalue()
    finally:
        typed.detach(stream)
        stream.close()
        os.close(leader)


def test_not_a_terminal_is_not_read():
    typed = ConsoleInput(ConsolePlatform(io.StringIO(), NOW.tzinfo), None, "en")
    assert typed.attach(io.StringIO()) is False
