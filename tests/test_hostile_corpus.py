"""Every hostile file of the trials, dropped beside good posts into a running bot."""

import asyncio
import os
import signal
import socket
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.app import build_app
from bot.settings import load_settings
from bot.store.destinations import Subscription, subscribe
from tests.conftest import post_text
from tests.content.test_hostile import BODIES
from tests.fakes.telegram_server import FakeTelegram
from tests.live import start_bot

TOKEN = "123456:HOSTILE-token"
CHAT = 4242

FRONT_MATTER = {
    "far-future.md": "date: 9999-12-31T23:59:59-14:00",
    "year-one.md": "date: 0001-01-01",
    "year-one-utc.md": "date: 0001-01-01T00:00:00Z",
    "padded-date.md": "date: '" + " " * 200_000 + "2024-01-01'",
    "javascript.md": "date: 2024-01-01\nurl: 'javascript:alert(1)'\nimage: 'data:image/png;base64,AAAA'",
    "bidi.md": 'date: 2024-01-01\ntitle: "evil\\e[2J\\u202etxt.exe"',
    "alias-bomb.md": "date: 2024-01-01\n"
    + "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _drop_hostile_files(folder) -> None:
    for index, (_name, body) in enumerate(sorted(BODIES.items())):
        text = f"---\ntitle: hostile {index}\ndate: 2024-01-01\n---\n{body}"
        (folder / f"body-{index:02d}.md").write_text(text, encoding="utf-8")
    for name, front in FRONT_MATTER.items():
        (folder / name).write_text(f"---\n{front}\n---\nbody\n", encoding="utf-8")
    (folder / "not-utf8.md").write_bytes(b"---\ndate: 2024-01-01\n---\n\xff\xfe\n")
    os.makedirs(folder / "zip", exist_ok=True)
    with open(os.path.join(os.fsencode(folder / "zip"), b"bad\xffname.md"), "wb") as handle:
        handle.write(b"---\ndate: 2024-01-01\n---\nx\n")
    (folder / "escape\x1b[31mred.md").write_text("---\ndate: 2024-01-01\n---\nx\n", encoding="utf-8")


@pytest.mark.slow
@pytest.mark.process
async def test_hostile_files_cost_only_themselves_in_a_running_bot(tmp_path, posts_dir, spawned):
    (posts_dir / "good-old.md").write_text(post_text("Good old post", "2024-01-01"), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    app = build_app(load_settings(posts_dir=posts_dir, database_url=url, _env_file=None))
    await app.prepare()
    await app.scan()
    async with app.sessions.begin() as session:
        await subscribe(session, Subscription("telegram", str(CHAT)), app.clock.now())
    await app.close()

    port = _free_port()
    async with FakeTelegram(token=TOKEN) as server, aiohttp.ClientSession() as http:
        env = {
            **os.environ,
            "POSTS_DIR": str(posts_dir),
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": server.base_url,
            "HTTP_PORT": str(port),
            "HTTP_HOST": "127.0.0.1",
            "SCAN_INTERVAL": "1",
            "WATCH": "false",
            "PARSE_TIMEOUT": "5",
            "LOG_LEVEL": "INFO",
        }
        process = await start_bot(env)
        spawned.append(process)
        output = asyncio.create_task(process.stdout.read())  # drained, so the bot never blocks on it

        async def healthy() -> bool:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    return answer.status == 200
            except aiohttp.ClientError:
                return False

        async def until(condition, limit: float) -> None:
            async with asyncio.timeout(limit):
                while not await condition():
                    assert process.returncode is None, "the bot exited"
                    await asyncio.sleep(0.1)

        await until(healthy, 60)
        _drop_hostile_files(posts_dir)
        # While it scans the hostile files, the bot keeps answering.
        for _ in range(20):
            assert await healthy()
            await asyncio.sleep(0.1)
        (posts_dir / "good-new.md").write_text(
            post_text("Good new post", datetime.now(UTC).isoformat(), "Fresh words."), encoding="utf-8"
        )

        async def delivered() -> bool:
            return any("Good new post" in m.text for m in server.messages.get(CHAT, []))

        await until(delivered, 30)
        assert await healthy()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        log = (await output).decode("utf-8", "replace")
    assert "\x1b" not in log, "a file name's escape sequence reached the terminal"
    assert "Traceback" not in log
    assert "refused post file zip/bad\\xffname.md: file name is not valid UTF-8" in log
    assert log.count("refused post file alias-bomb.md") == 1, "logged once, not on every scan"
    assert [m.text for m in server.messages[CHAT]].count(
        next(iter([m.text for m in server.messages[CHAT]]))
    ) == 1
