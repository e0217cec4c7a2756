"""bot/content must stay pure: no I/O, no clock, no platform or database imports."""

import ast
from pathlib import Path

import pytest

CONTENT = Path(__file__).resolve().parents[2] / "bot" / "content"
FORBIDDEN_MODULES = {
    "os", "io", "pathlib", "shutil", "socket", "subprocess", "sqlite3", "asyncio", "time", "logging",
    "requests", "httpx", "aiohttp", "telegram", "discord", "sqlalchemy", "alembic", "aiosqlite", "asyncpg",
    "apscheduler", "watchfiles", "bot.store", "bot.broadcast", "bot.platforms", "bot.app", "bot.cli",
    "bot.index", "bot.settings",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "print", "input"}
FORBIDDEN_ATTRIBUTES = {"now", "utcnow", "today", "time", "monotonic"}


def modules():
    return sorted(CONTENT.rglob("*.py"))


def imported_names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_content_module_is_pure(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name in imported_names(tree):
        assert not any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_MODULES), (
            f"{path.name} imports {name}"
        )
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}()"
            if isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_ATTRIBUTES, (
                    f"{path.name} reads the clock: .{node.func.attr}()"
                )


def test_the_check_catches_a_violation(tmp_path):
    tree = ast.parse("import sqlalchemy\nfrom datetime import datetime\nx = datetime.now()\n")
    assert "sqlalchemy" in set(imported_names(tree))
    calls = [
        n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    ]
    assert "now" in calls and "now" in FORBIDDEN_ATTRIBUTES


def test_every_content_module_is_checked():
    assert {p.name for p in modules()} >= {
        "excerpt.py",
        "post_file.py",
        "models.py",
        "telegram.py",
        "discord.py",
    }
