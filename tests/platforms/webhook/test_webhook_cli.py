"""Operators subscribe a URL on the command line; `run` sends there, signed, and keeps the console."""

import asyncio
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.cli import main
from bot.clock import SystemClock
from bot.runner import run
from bot.settings import load_settings
from tests.conftest import post_text
from tests.platforms.webhook.receiver import Receiver

SETTINGS = ("POSTS_DIR", "DATABASE_URL", "SITE_URL", "WEBHOOKS", "TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN")
SLACK = "https://hooks.slack.com/services/T0001/B0002/sEcReTpAtH"


@pytest.fixture
def cli(tmp_path, posts_dir, monkeypatch, capsys):
    """Run `python -m bot ...` in this process with settings from the environment, as in production."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POSTS_DIR", str(posts_dir))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SITE_URL", "https://blog.example.org/posts")
    monkeypatch.chdir(tmp_path)  # no .env from the checkout

    def call(*args):
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


def test_add_list_update_and_remove_a_webhook(cli):
    code, out, _ = cli("destinations", "add", "--platform", "webhook", "--url", "http://127.0.0.1:9/hook")
    assert code == 0
    [line, secret_line] = out.splitlines()
    chat_id = re.fullmatch(r"added webhook:(url-[0-9a-f]{16})", line)[1]
    secret = re.match(r"secret (\S+) ", secret_line)[1]
    assert len(secret) >= 32
    code, out, _ = cli("destinations", "add", "--platform", "webhook", "--url", SLACK, "--format", "slack")
    assert (code, out.count("secret")) == (0, 0)  # Slack checks nothing of ours: none made up
    listed = {d["chat_id"]: d for d in json.loads(cli("destinations", "list", "--json")[1])}
    assert listed[chat_id] | {"id": 0} == {
        "id": 0,
        "platform": "webhook",
        "chat_id": chat_id,
        "thread_id": "",
        "kind": "channel",
        "mode": "instant",
        "digest": None,
        "tz": None,
        "categories": [],
        "active": True,
        "disabled_reason": None,
        "endpoint": "http://127.0.0.1:9/…",
        "format": "json",
        "signed": True,
    }
    shown = [cli("destinations", "list")[1], cli("destinations", "list", "--json")[1], cli("status")[1]]
    assert "https://hooks.slack.com/… slack" in shown[0]
    assert not any(secret in text or "sEcReTpAtH" in text for text in shown)
    # Adding again changes what is given and keeps the secret (the receiver already has it).
    code, out, _ = cli(
        "destinations",
        "add",
        "--platform",
        "webhook",
        "--url",
        "http://127.0.0.1:9/hook",
        "--digest",
        "08:00",
    )
    assert (code, out) == (0, f"updated webhook:{chat_id}\n")
    code, out, _ = cli("destinations", "remove", "--platform", "webhook", "--url", SLACK)
    assert code == 0 and out.startswith("removed webhook:url-")
    assert [d["chat_id"] for d in json.loads(cli("destinations", "list", "--json")[1])] == [chat_id]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--url", "http://hooks.example.org/x"),
            "--url: use an https:// URL (plain http:// only to 127.0.0.1",
        ),
        (("--url", "https://x.example/h", "--secret", "short"), "--secret: a secret is 8-256 visible"),
        (("--url", "https://x.example/h", "--thread", "5"), "--thread: a webhook has no threads"),
        (("--chat-id", "url-0123456789abcdef"), "--url is required for a webhook"),
    ],
)
def test_bad_webhooks_are_refused(cli, args, message):
    code, _, err = cli("destinations", "add", "--platform", "webhook", *args)
    assert code == 2 and message in err


def test_webhook_options_belong_to_webhooks(cli):
    code, _, err = cli(
        "destinations", "add", "--platform", "telegram", "--chat-id", "1", "--url", "https://x.example/"
    )
    assert code == 2 and "--url, --format and --secret go with --platform webhook" in err


def test_status_says_when_webhooks_are_off(cli, monkeypatch):
    cli("destinations", "add", "--platform", "webhook", "--url", "https://x.example/h")
    monkeypatch.setenv("WEBHOOKS", "false")
    report = json.loads(cli("status", "--json")[1])
    assert {"platform": "webhook", "queued": 0, "reason": "WEBHOOKS is false"} in report["not_sending"]


async def test_run_sends_to_a_url_added_on_the_command_line_and_keeps_the_console(cli, posts_dir, tmp_path):
    (posts_dir / "old.md").write_text(post_text("Old", "2026-01-01", "Indexed, not sent."))
    async with Receiver(SystemClock()) as receiver:
        code, out, _ = await asyncio.to_thread(
            cli, "destinations", "add", "--platform", "webhook", "--url", receiver.url("hook")
        )
        assert code == 0
        receiver.check("hook", re.search(r"secret (\S+) ", out)[1])
        settings = load_settings(
            posts_dir=posts_dir, database_url=f"sqlite:///{tmp_path / 'cli.db'}", site_url="https://b.example",
            scan_interval=0.2, http_port=0, watch=False, _env_file=None,
        )  # fmt: skip
        app = build_app(settings)
        stop, shown = asyncio.Event(), io.StringIO()
        running = asyncio.create_task(run(app, stop, shown))
        try:
            await _until(lambda: "Platforms: " in shown.getvalue())
            now = datetime.now(UTC).isoformat()
            await asyncio.to_thread(
                Path(posts_dir, "new.md").write_text, post_text("刚写好的", now, "新内容。")
            )
            await _until(lambda: receiver.received and "刚写好的" in shown.getvalue())
        finally:
            stop.set()
            await running
            await app.close()
    assert "Platforms: webhook, console" in shown.getvalue()
    [request] = receiver.received
    assert (
        request.verified and request.body["event"] == "post" and request.body["post"]["title"] == "刚写好的"
    )


async def _until(condition, limit: float = 20.0) -> None:
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.05)
