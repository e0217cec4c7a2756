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


@pytest.mark.process
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
    text = bot(env, "latest")  # the plain form shows what to type to open each post
    assert text.returncode == 0 and "\n   /post b\n" in text.stdout and "\n   /post a\n" in text.stdout
    missing = bot(env, "latest", "--page", "9")
    # The command line's words, not the chat's ("例如 /latest 2").
    assert missing.returncode == 1 and missing.stderr == "error: no page 9: there is 1 page\n"


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
            env,
            "destinations",
            "add",
            "--platform",
            "telegram",
            "--chat-id",
            "-100123",
            "--category",
            "生成模型",
        ).returncode
        == 0
    )
    added = bot(env, "destinations", "add", "--platform", "discord", "--chat-id", "555", "--thread", "777",
                "--digest", "09:30", "--tz", "Asia/Shanghai")  # fmt: skip
    assert added.stdout.strip() == "added discord:555"
    bad = bot(env, "destinations", "add", "--platform", "telegram", "--chat-id", "1", "--digest", "99 * *")
    assert bad.returncode == 2 and "--digest '99 * *': use HH:MM" in bad.stderr
    listed = json.loads(bot(env, "destinations", "list", "--json").stdout)
    assert [(d["platform"], d["chat_id"], d["kind"], d["mode"]) for d in listed] == [
        ("discord", "555", "thread", "digest"),
        ("telegram", "-100123", "group", "instant"),
    ]
    assert listed[1]["categories"] == ["生成模型"]
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


@pytest.mark.process
def test_latest_into_a_closed_pipe_ends_quietly(env):
    """`latest | head`: the reader goes away; no BrokenPipeError traceback, the exit of a SIGPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # closed before anything is written: the very first write fails
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "latest"],
            env=env,
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


def test_json_errors_are_json(env, bot, tmp_path):
    cases = [
        (bot(env, "latest", "--page", "9", "--json"), 1, "no page 9: there is 1 page"),
        (bot(env, "preview", "zzz", "--json"), 1, "no post 'zzz'"),
        (bot({**env, "POSTS_DIR": str(tmp_path / "typo")}, "scan", "--json"), 2, "POSTS_DIR"),
        (bot({**env, "TIMEZONE": "Mars/Olympus"}, "status", "--json"), 2, "unknown time zone"),
        (bot(env, "destinations", "add", "--platform", "telegram", "--chat-id", "@x", "--json"), 2, "@x"),
    ]
    for result, code, words in cases:
        assert result.returncode == code, result
        assert words in json.loads(result.stdout)["error"]
        assert "Traceback" not in result.stderr


def test_errors_use_command_line_words(env, bot):
    results = [
        bot(env, "latest", "--page", "9"),
        bot(env, "latest", "--page", "0"),
        bot(env, "preview", "zzz"),
        bot(env, "destinations", "add", "--platform", "discord", "--chat-id", "1", "--digest", "25:99"),
        bot(
            env,
            "destinations",
            "add",
            "--platform",
            "discord",
            "--chat-id",
            "1",
            "--digest",
            "9:00",
            "--tz",
            "Mars/Olympus",
        ),
    ]
    for result in results:
        assert result.returncode in (1, 2) and result.stderr.startswith("error: ")
        assert result.stderr.count("\n") == 1, result.stderr  # one line
        assert (
            "/latest" not in result.stderr
            and "/subscribe" not in result.stderr
            and "例如" not in result.stderr
        )


def test_a_missing_posts_dir_is_an_error_and_the_store_is_kept(env, bot, tmp_path):
    assert json.loads(bot(env, "scan", "--json").stdout)["indexed"] == 2
    typo = {**env, "POSTS_DIR": str(tmp_path / "post")}
    scan = bot(typo, "scan")
    assert scan.returncode == 2 and scan.stdout == ""
    assert scan.stderr == (
        f"error: POSTS_DIR: the posts folder {tmp_path / 'post'} does not exist; set POSTS_DIR to the "
        "folder of your posts (nothing was indexed or removed)\n"
    )
    assert "invalid post" not in scan.stderr
    run = bot(typo, "run")
    assert run.returncode == 2 and "POSTS_DIR" in run.stderr and "standby" not in run.stderr
    (tmp_path / "a-file").write_text("x")
    assert "is not a folder" in bot({**env, "POSTS_DIR": str(tmp_path / "a-file")}, "scan").stderr
    again = json.loads(bot(env, "scan", "--json").stdout)
    assert (again["indexed"], again["removed"]) == (2, 0)


def test_a_missing_database_folder_is_refused_not_created(env, bot, tmp_path):
    nowhere = tmp_path / "nowhere"
    result = bot({**env, "DATABASE_URL": f"sqlite:///{nowhere / 'bot.db'}"}, "scan")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: DATABASE_URL: the folder {nowhere} does not exist")
    assert not nowhere.exists()


def test_default_database_from_a_stray_folder_is_refused(env, bot, tmp_path):
    """DATABASE_URL unset, run from a folder that is not the bot's: no new empty database there."""
    stray = tmp_path / "stray"
    stray.mkdir()
    unset = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    result = bot(unset, "latest", cwd=stray)
    assert result.returncode == 2
    assert "DATABASE_URL is not set, so the database is sqlite:///data/bot.db" in result.stderr
    assert f"the folder data (under the working folder {stray})" in result.stderr
    assert not (stray / "data").exists()


def test_default_database_in_a_checkout_is_made_beside_posts(env, bot, tmp_path):
    """`make run` in a fresh checkout: posts/ is in the working folder, so data/ is made for it."""
    unset = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "POSTS_DIR")}
    result = bot(unset, "scan", "--json", cwd=tmp_path)  # the posts fixture is tmp_path/posts
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["indexed"] == 2
    assert (tmp_path / "data" / "bot.db").is_file()


@pytest.fixture
def unwritable_folder(tmp_path):
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
    else:
        # Root may write anywhere on a disk, but sysfs refuses new files even to root.
        folder = Path("/sys")
        try:
            (folder / "probe").open("w").close()
        except OSError:
            yield folder
        else:
            pytest.skip("no folder here refuses new files to this user")


def test_an_unwritable_database_location_is_one_clear_line(env, bot, unwritable_folder):
    database = unwritable_folder / "bot.db"
    bad = {**env, "DATABASE_URL": f"sqlite:///{database}"}
    for command in (["scan"], ["status"], ["run"]):
        result = bot(bad, *command)
        assert result.returncode == 2, result
        assert result.stderr.startswith(f"error: DATABASE_URL: cannot write the SQLite database {database}: ")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "standby" not in result.stderr


def test_a_file_that_is_not_a_database_is_one_clear_line(env, bot, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, just a text file\n" * 200)
    result = bot({**env, "DATABASE_URL": f"sqlite:///{garbage}"}, "scan")
    assert result.returncode == 1
    assert (
        result.stderr
        == f"error: DATABASE_URL: the SQLite database {garbage} failed: file is not a database\n"
    )


def test_destinations_add_refuses_what_the_chat_commands_refuse(env, bot):
    refused = [
        ("telegram", "@channel", []),
        ("telegram", "12ab", []),
        ("telegram", "0", []),
        ("telegram", "-" + "9" * 20, []),
        ("telegram", "-100123", ["--thread", "1"]),  # the General topic has no thread id
        ("telegram", "-100123", ["--thread", "x"]),
        ("telegram", "42", ["--kind", "group"]),
        ("discord", "-5", []),
        ("discord", "1" * 21, []),
        ("console", "somewhere", []),
        ("telegram", "-100123", ["--category", "Nope"]),
        ("telegram", "-100123", ["--digest", "* * * * *"]),  # more often than hourly
        ("telegram", "-100123", ["--tz", "Asia/Shanghai"]),  # a zone without a digest
    ]
    for platform, chat, extra in refused:
        result = bot(env, "destinations", "add", "--platform", platform, "--chat-id", chat, *extra)
        assert result.returncode == 2, (platform, chat, extra, result)
        assert result.stderr.startswith("error: ")
    assert json.loads(bot(env, "destinations", "list", "--json").stdout) == []
    unknown = bot(
        env, "destinations", "add", "--platform", "telegram", "--chat-id", "-1", "--category", "Nope"
    )
    assert "categories: Uncategorized, 生成模型" in unknown.stderr
    # Names as the chat commands take them: any case, full-width separators; stored as the blog spells them.
    ok = bot(env, "destinations", "add", "--platform", "telegram", "--chat-id", "-100123",
             "--category", "uncategorized，生成模型")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    [stored] = json.loads(bot(env, "destinations", "list", "--json").stdout)
    assert stored["categories"] == ["Uncategorized", "生成模型"]


def test_status_says_which_platforms_wait_for_a_token(env, bot, monkeypatch):
    import asyncio
    from datetime import UTC, datetime

    from bot.app import build_app
    from bot.settings import load_settings
    from bot.store.destinations import Subscription, subscribe

    async def queue_one_post():
        settings = load_settings(posts_dir=env["POSTS_DIR"], database_url=env["DATABASE_URL"], _env_file=None)
        app = build_app(settings)
        await app.prepare()
        await app.scan()  # the first scan broadcasts nothing
        async with app.sessions.begin() as session:
            await subscribe(session, Subscription("telegram", "-100123", kind="group"), app.clock.now())
            await subscribe(session, Subscription("console", "stdout"), app.clock.now())
        new = Path(env["POSTS_DIR"], "new.md")
        await asyncio.to_thread(new.write_text, post_text("New", datetime.now(UTC).isoformat(), "Body."))
        await app.tick()
        await app.close()

    asyncio.run(queue_one_post())
    for name in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    text = bot(env, "status").stdout
    assert "telegram: 1 deliveries wait: TELEGRAM_BOT_TOKEN is not set" in text
    assert "console: " in text and "console: 1 deliveries wait" not in text  # the console does send
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abcdefgh")
    report = json.loads(bot(env, "status", "--json").stdout)
    assert report["not_sending"] == [
        {
            "platform": "console",
            "queued": 1,
            "reason": "the console shows transmissions only when no bot token is set",
        }
    ]


def test_a_bad_command_line_with_json_is_json(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["latest", "--json", "--page", "two"])
    assert exited.value.code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error.startswith("python -m bot latest: argument --page: invalid int value")


def test_an_unreachable_postgresql_is_one_clear_line(env, bot):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = bot({**env, "DATABASE_URL": f"postgresql://bot:hunter2@127.0.0.1:{port}/bot"}, "status")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: DATABASE_URL: cannot reach the database at 127.0.0.1:{port}: ")
    assert "hunter2" not in result.stderr


def test_status_shows_paid_broadcasts_and_what_they_cost_today(env, bot, monkeypatch):
    import asyncio
    from datetime import UTC, datetime

    from bot.settings import load_settings
    from bot.store import paid
    from bot.store.database import create_engine, session_factory, upgrade

    async def spend():
        load_settings(posts_dir=env["POSTS_DIR"], database_url=env["DATABASE_URL"], _env_file=None)
        engine = create_engine(env["DATABASE_URL"])
        await upgrade(engine)
        async with session_factory(engine).begin() as session:
            await paid.add(session, "telegram", datetime.now(UTC).date().isoformat(), 1234)
        await engine.dispose()

    asyncio.run(spend())
    monkeypatch.setenv("TELEGRAM_PAID_BROADCAST", "auto")
    monkeypatch.setenv("TELEGRAM_PAID_DAILY_STARS", "500")
    text = bot(env, "status").stdout
    assert "paid broadcasts (telegram): auto, queues over 1,000, up to 1000/s" in text
    assert "today 1,234 paid sends, 123.4 of 500 Stars" in text
    assert json.loads(bot(env, "status", "--json").stdout)["paid_today"] == {"telegram": 1234}
    monkeypatch.delenv("TELEGRAM_PAID_DAILY_STARS")
    refused = bot(env, "status")
    assert refused.returncode != 0 and "set TELEGRAM_PAID_DAILY_STARS" in refused.stderr


def test_run_collects_cycles_less_often_after_freezing_what_start_up_made():
    import gc

    from bot.cli.operations import GC_YOUNG, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_YOUNG, *before[1:]) and gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
