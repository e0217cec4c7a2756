"""The command line, run as a real process with settings from the environment."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import post_text
from tests.fakes.telegram_html import check_caption, check_message_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path, posts_dir):
    (posts_dir / "a.md").write_text(
        post_text("扩散 <模型>", "2026-11-01", "正文 $x^2$。", slug="a", category="生成模型")
    )
    (posts_dir / "b.md").write_text(
        post_text("Cover", "2026-11-02", "Body.", slug="b", image="https://img.example/c.png")
    )
    (posts_dir / "broken.md").write_text("---\ntitle: [x\n---\n")
    return {
        **os.environ,
        "POSTS_DIR": str(posts_dir),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SITE_URL": "https://blog.example.org/posts",
        "TIMEZONE": "Asia/Shanghai",
    }


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def bot(monkeypatch, capsys):
    """Run the CLI in this process (fast); settings come from the environment as in production."""

    def run(env, *args, cwd=None):
        for name in ("POSTS_DIR", "DATABASE_URL", "SITE_URL", "TIMEZONE", "SCAN_INTERVAL", "LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            if name in ("POSTS_DIR", "DATABASE_URL", "SITE_URL", "TIMEZONE", "SCAN_INTERVAL", "LOG_LEVEL"):
                monkeypatch.setenv(name, value)
        monkeypatch.chdir(cwd or ROOT)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def test_python_dash_m_bot_runs_as_a_process(env):
    result = subprocess.run(
        [sys.executable, "-m", "bot", "scan", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["indexed"] == 2


def test_scan_json_contract(env, bot):
    result = bot(env, "scan", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("indexed", "new", "changed", "removed")} == {
        "indexed": 2,
        "new": 2,
        "changed": 0,
        "removed": 0,
    }
    [invalid] = report["invalid"]
    assert invalid["path"] == "broken.md" and invalid["error"].startswith("bad YAML front matter at line")
    again = json.loads(bot(env, "scan", "--json").stdout)
    assert (again["indexed"], again["new"], again["changed"], again["removed"]) == (2, 0, 0, 0)
    assert [i["path"] for i in again["invalid"]] == ["broken.md"]


def test_latest_json_contract(env, bot):
    result = bot(env, "latest", "--json")
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert (page["page"], page["pages"], page["total"]) == (1, 1, 2)
    assert [item["slug"] for item in page["items"]] == ["b", "a"]
    first = page["items"][1]
    assert set(first) == {"slug", "title", "category", "date", "excerpt", "url"}
    assert first["date"] == "2026-10-31T16:00:00+00:00"
    assert first["excerpt"] == "正文 x²。"
    assert first["url"] == "https://blog.example.org/posts/a"
    missing = bot(env, "latest", "--page", "9")
    assert missing.returncode == 1 and "没有第 9 页" in missing.stderr


def test_preview_telegram_and_discord_json(env, bot):
    call = json.loads(bot(env, "preview", "a", "--platform", "telegram", "--json").stdout)
    assert call["method"] == "sendMessage" and call["parse_mode"] == "HTML"
    assert "扩散 &lt;模型&gt;" in call["text"]
    check_message_text(call["text"])
    photo = json.loads(bot(env, "preview", "b", "--platform", "telegram", "--json").stdout)
    assert photo["method"] == "sendPhoto" and photo["photo"] == "https://img.example/c.png"
    check_caption(photo["caption"])
    body = json.loads(bot(env, "preview", "a", "--platform", "discord", "--json").stdout)
    assert body["allowed_mentions"]["parse"] == []
    assert body["embeds"][0]["title"] == "扩散 <模型>"
    text = bot(env, "preview", "a", "--platform", "text")
    assert "INCOMING TRANSMISSION" in text.stdout
    assert bot(env, "preview", "zzz").returncode == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SCAN_INTERVAL", "soon", "SCAN_INTERVAL"),
        ("SCAN_INTERVAL", "-5", "SCAN_INTERVAL"),
        ("TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("DATABASE_URL", "mysql://u:pw@h/db", "DATABASE_URL must be sqlite:/// or postgresql://"),
        ("SITE_URL", "blog.example.org", "SITE_URL must start with http"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
    ],
)
def test_bad_settings_give_a_clear_error(env, bot, name, value, message):
    result = bot({**env, name: value}, "scan")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "pw@" not in result.stderr


def test_settings_from_dotenv_file(env, bot, tmp_path):
    (tmp_path / ".env").write_text(
        f"POSTS_DIR={env['POSTS_DIR']}\nDATABASE_URL=sqlite:///{tmp_path / 'dotenv.db'}\n"
    )
    clean = {k: v for k, v in env.items() if k not in ("POSTS_DIR", "DATABASE_URL")}
    result = bot(clean, "scan", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["indexed"] == 2
    assert (tmp_path / "dotenv.db").exists()


def test_db_upgrade(env, bot):
    result = bot(env, "db", "upgrade")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_destinations_add_list_remove_enable_and_status(env, bot):
    assert (
        bot(
            env, "destinations", "add", "--platform", "telegram", "--chat-id", "-100123", "--category", "AI"
        ).returncode
        == 0
    )
    added = bot(env, "destinations", "add", "--platform", "discord", "--chat-id", "555", "--thread", "777",
                "--digest", "09:30", "--tz", "Asia/Shanghai")  # fmt: skip
    assert added.stdout.strip() == "added discord:555"
    bad = bot(env, "destinations", "add", "--platform", "telegram", "--chat-id", "1", "--digest", "99 * *")
    assert bad.returncode == 2 and "bad cron expression" in bad.stderr
    listed = json.loads(bot(env, "destinations", "list", "--json").stdout)
    assert [(d["platform"], d["chat_id"], d["kind"], d["mode"]) for d in listed] == [
        ("discord", "555", "thread", "digest"),
        ("telegram", "-100123", "group", "instant"),
    ]
    assert listed[1]["categories"] == ["AI"]
    report = json.loads(bot(env, "status", "--json").stdout)
    assert report["destinations"] == {
        "discord": {"active": 1, "disabled": 0},
        "telegram": {"active": 1, "disabled": 0},
    }
    assert report["queue"] == 0 and report["digests"][0]["schedule"] == "09:30"
    assert (
        bot(env, "destinations", "remove", "--platform", "telegram", "--chat-id", "-100123").returncode == 0
    )
    missing = bot(env, "destinations", "enable", "--platform", "telegram", "--chat-id", "-100123")
    assert missing.returncode == 1 and "no destination" in missing.stderr
    assert "queue 0" in bot(env, "status").stdout


def test_blank_token_means_console():
    from bot.settings import load_settings

    settings = load_settings(telegram_bot_token="  ", telegram_base_url="", _env_file=None)
    assert settings.telegram_bot_token is None and settings.telegram_base_url is None
    assert "s3cr3t" not in repr(load_settings(telegram_bot_token="123:s3cr3t", _env_file=None))
