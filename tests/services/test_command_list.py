"""One command list: every platform registers it, /help shows it, the README documents it."""

import re
from pathlib import Path

from bot.platforms.telegram.platform import menu
from bot.services.reading import COMMANDS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
NAMES = [c.name for c in COMMANDS]


def readme_commands():
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    table = section.split("Platform extras", 1)[0]
    return re.findall(r"^\| `/(\w+)", table, flags=re.MULTILINE)


def test_readme_documents_exactly_the_shared_commands():
    assert readme_commands() == NAMES


async def test_help_lists_exactly_the_shared_commands(app):
    for lang in ("zh", "en"):
        help_view = await app.commands.run("/help", lang)
        assert [line.split()[0].lstrip("/") for line in help_view.lines] == NAMES


def test_telegram_menu_is_start_then_the_shared_commands():
    for lang in ("zh", "en"):
        assert [c.command for c in menu(lang)] == ["start", *NAMES]
        assert [c.command for c in menu(lang, owner=True)] == ["start", *NAMES, "status", "broadcast"]


async def test_console_answers_every_shared_command(app):
    for name in NAMES:
        reply = await app.commands.run(f"/{name}", "en")
        assert reply is not None and "Unknown command" not in getattr(reply, "text", "")


def test_command_names_fit_telegram_rules():
    for name in NAMES:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        for spec in COMMANDS:
            assert 1 <= len(spec.help_zh) <= 256 and 1 <= len(spec.help_en) <= 100  # Discord allows 100
