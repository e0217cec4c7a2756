import io
import os
from dataclasses import replace

from bot.broadcast.sender import Target
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


async def test_an_edited_post_is_reprinted_with_an_edited_mark():
    from bot.content.models import Transmission

    out = io.StringIO()
    platform = ConsolePlatform(out, NOW.tzinfo)
    zh = Transmission("s", "标题", "分类", NOW, "摘要", "https://x.example/s")
    await platform.edit(Target("stdout"), ["1"], zh)
    await platform.edit(Target("stdout"), ["2"], replace(zh, lang="en"))
    assert "分类 · 2026-11-22 · 已更新" in out.getvalue() and "分类 · 2026-11-22 · edited" in out.getvalue()


def _ascii_out():
    return io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict", write_through=True)


async def test_a_long_pasted_chinese_line_never_crashes_the_console(app, write_post):
    write_post("p.md", "机器学习", slug="p")
    await app.scan()
    for out in (_ascii_out(), io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)):
        typed = ConsoleInput(ConsolePlatform(out, app.settings.zone), app.commands.run, "zh")
        answers = []
        for line in (
            "/search " + "机器学习" * 1024,  # 4 KB of Chinese
            "/search 机器学习\udce4",  # a paste cut mid-character, read leniently
            "/" + "中" * 4096,
        ):
            before = len(out.buffer.getvalue())
            await typed.handle(line)
            answers.append(out.buffer.getvalue()[before:].decode(out.encoding))
        assert all(answer.strip() and answer.endswith("\n\n") for answer in answers)  # each one answered
        assert ("没有找到" if out.encoding == "utf-8" else "??") in answers[0]
        assert "/post p" in answers[1]  # the post is still found, its slug shown


class _Pipe:
    """A pipe that says it is a terminal, to feed raw bytes through the console's reader."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()

    def isatty(self):
        return True

    def fileno(self):
        return self.read_fd


async def test_raw_terminal_bytes_cut_mid_character_and_several_lines_at_once(app, write_post):
    import asyncio

    write_post("p.md", "Piped", slug="p")
    await app.scan()
    out = _ascii_out()
    typed = ConsoleInput(ConsolePlatform(out, app.settings.zone), app.commands.run, "en")
    pipe = _Pipe()
    try:
        assert typed.attach(pipe)  # type: ignore[arg-type]
        cut = ("/search " + "中" * 2000).encode()[:4095]  # a tty's line buffer cuts a paste
        os.write(pipe.write_fd, cut + b"\n/latest\n")
        for _ in range(500):  # both lines are answered, each in its own task: either may come first
            if b"Piped" in out.buffer.getvalue() and b"Nothing found" in out.buffer.getvalue():
                break
            await asyncio.sleep(0.01)
        printed = out.buffer.getvalue().decode("ascii")
        assert "Nothing found" in printed and "Piped" in printed
    finally:
        typed.detach(pipe)  # type: ignore[arg-type]
        os.close(pipe.read_fd)
        os.close(pipe.write_fd)


async def test_lists_show_slugs_and_a_whole_post_is_printed_in_full(app, write_post):
    from bot.content import full

    body = "## 一节\n\n前向过程 $q(x_t)$。\n\n```python\nprint(1)\n```\n\n" + "很长的正文。" * 400
    write_post("long.md", "扩散模型", slug="long", body=body)
    write_post("p.md", "Short", slug="short", date="2026-11-01")
    await app.scan()
    out = io.StringIO()
    typed = ConsoleInput(ConsolePlatform(out, app.settings.zone), app.commands.run, "en")
    await typed.handle("/latest")
    assert "\n   /post long\n" in out.getvalue() and "\n   /post short\n" in out.getvalue()
    await typed.handle("post long full")
    post = await app.services.articles.full_by_slug("long", "en")
    whole = full.render_plain(post, app.settings.zone)
    assert "扩散模型" in whole and len(whole) > 2400  # the whole text, not a 350-character excerpt
    assert whole in out.getvalue()
