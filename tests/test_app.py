"""The bot's cycle (scan → announce → send) with the console platform, and `run` as a process."""

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import ensure_console_destination
from bot.platforms.console.platform import ConsolePlatform
from bot.store.models import Delivery
from tests.conftest import post_text

ROOT = Path(__file__).resolve().parents[1]


async def cycle(app):
    report = await app.tick()
    await app.drain()
    return report


async def console_app(app):
    out = io.StringIO()
    app.add_platform(ConsolePlatform(out, app.settings.zone))
    await ensure_console_destination(app)
    return out


async def test_first_start_broadcasts_nothing_then_new_posts_go_out_once(app, write_post, clock):
    write_post("old.md", "旧文章", date="2026-11-01", slug="old")
    out = await console_app(app)
    await cycle(app)
    assert out.getvalue() == ""
    write_post("new.md", "新文章", date="2026-11-22", slug="new", body="新的正文。")
    await cycle(app)
    assert out.getvalue().count("INCOMING TRANSMISSION") == 1
    assert "新文章" in out.getvalue() and "https://blog.example.org/posts/new" in out.getvalue()
    await cycle(app)
    await cycle(app)
    assert out.getvalue().count("INCOMING TRANSMISSION") == 1
    async with app.sessions() as session:
        [delivery] = (await session.execute(select(Delivery))).scalars().all()
    assert delivery.status == "sent" and delivery.message_ids == ["1"]


async def test_scheduled_post_goes_out_when_its_time_comes(app, write_post, clock):
    out = await console_app(app)
    await cycle(app)
    write_post("later.md", "稍后发布", date="2026-11-22T18:00:00+00:00", slug="later")
    await cycle(app)
    assert out.getvalue() == ""
    clock.advance(hours=6)
    await cycle(app)
    assert "稍后发布" in out.getvalue()


async def test_old_post_seen_late_is_indexed_not_broadcast(app, write_post, clock):
    out = await console_app(app)
    await cycle(app)
    write_post("restored.md", "Restored from backup", date="2026-10-01", slug="restored")
    report = await cycle(app)
    assert report.new == ["restored"]
    assert out.getvalue() == ""


async def test_drafts_are_never_broadcast(app, write_post, clock):
    out = await console_app(app)
    await cycle(app)
    write_post("d.md", "Draft", date="2026-11-22", slug="d", draft="true")
    await cycle(app)
    clock.advance(days=30)
    await cycle(app)
    assert out.getvalue() == ""


async def test_renamed_post_is_not_broadcast_again(app, posts_dir, write_post, clock):
    out = await console_app(app)
    await cycle(app)
    write_post("x.md", "Once", date="2026-11-22", slug="once")
    await cycle(app)
    (posts_dir / "x.md").rename(posts_dir / "y.md")
    clock.advance(minutes=1)
    await cycle(app)
    assert out.getvalue().count("Once") == 1


class Lines:
    """Collect a process's output lines on a thread, so the test can wait for one with a deadline."""

    def __init__(self, stream):
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.lines.put(line)

    def wait_for(self, text, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed; got:\n{''.join(self.seen)}")


@pytest.mark.slow
@pytest.mark.process
def test_run_prints_the_first_page_then_new_posts(tmp_path, posts_dir):
    (posts_dir / "a.md").write_text(post_text("第一篇", "2026-01-01", "内容。"))
    env = {
        **os.environ,
        "POSTS_DIR": str(posts_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        # A long interval: the new post can only arrive this fast through the file watcher.
        "SCAN_INTERVAL": "3600",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = Lines(process.stdout)
        lines.wait_for("1 posts indexed")
        lines.wait_for("LATEST UPDATES")
        lines.wait_for("第一篇")
        (posts_dir / "b.md").write_text(post_text("未来的", "2999-01-01", "新内容。"))
        today = datetime.now(UTC).isoformat()
        (posts_dir / "c.md").write_text(post_text("刚写好的", today, "新内容。"))
        lines.wait_for("INCOMING TRANSMISSION", timeout=15)
        lines.wait_for("刚写好的")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


async def test_a_posts_folder_that_vanishes_while_running_fails_the_scan_and_keeps_the_store(
    app, write_post, posts_dir
):
    write_post("a.md", "A")
    write_post("b.md", "B")
    assert (await app.tick()).indexed == 2
    unmounted = posts_dir.rename(posts_dir.with_name("elsewhere"))
    for _ in range(3):
        await app.tick()
    [problem] = app.cycle.problems()
    assert problem.startswith("scan failing (3 in a row): PreflightError: POSTS_DIR: the posts folder")
    unmounted.rename(posts_dir)
    report = await app.tick()
    assert (report.indexed, report.removed, app.cycle.problems()) == (2, [], [])
