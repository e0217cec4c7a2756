"""bot/content must stay pure: no I/O, no clock, no platform or database imports.

`violations` is the whole check; the tests below run it on every module of bot/content, and on
small bad sources, so a checker that stopped finding anything would fail here too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "bot" / "content"
# From the bot itself, bot/content may import only bot/content (every other package is above it).
ALLOWED_BOT_PACKAGE = "bot.content"
FORBIDDEN_MODULES = {
    # I/O, processes, threads, the network
    "os", "io", "pathlib", "shutil", "glob", "tempfile", "socket", "ssl", "select", "selectors",
    "subprocess", "multiprocessing", "threading", "concurrent", "signal", "asyncio", "time", "logging",
    "importlib", "http", "urllib.request", "requests", "httpx", "aiohttp", "urllib3",
    # platforms, databases, scheduling, settings
    "telegram", "discord", "sqlite3", "sqlalchemy", "alembic", "aiosqlite", "asyncpg", "psycopg",
    "psycopg2", "apscheduler", "watchfiles", "prometheus_client", "pydantic_settings", "dotenv",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "print", "input", "__import__", "exec", "eval"}
FORBIDDEN_ATTRIBUTES = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def module_name(path: Path, root: Path = ROOT) -> str:
    """bot/content/render/telegram.py -> bot.content.render.telegram (a package: its __init__)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.Module, module: str, is_package: bool = False) -> list[str]:
    """Every module an import statement names, relative imports resolved (`from .. import x` too)."""
    names = []
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            names.append(source)
            # `from bot import store` imports the module bot.store
            names += [f"{source}.{alias.name}" for alias in node.names if alias.name != "*"]
    return names


def _forbidden(name: str) -> bool:
    if name == "bot" or name.startswith("bot."):
        inside = name == ALLOWED_BOT_PACKAGE or name.startswith(ALLOWED_BOT_PACKAGE + ".")
        return not inside and name != "bot"
    return any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_MODULES)


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """What makes `source` (the text of `module`) impure: forbidden imports, I/O calls, clock reads."""
    tree = ast.parse(source)
    found = [f"imports {name}" for name in imported_names(tree, module, is_package) if _forbidden(name)]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            found.append(f"calls {node.func.id}()")
        elif isinstance(node.func, ast.Attribute) and node.func.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"reads the clock: .{node.func.attr}()")
    return found


def file_violations(path: Path, root: Path = ROOT) -> list[str]:
    return violations(path.read_text(encoding="utf-8"), module_name(path, root), path.name == "__init__.py")


def modules() -> list[Path]:
    return sorted(CONTENT.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(CONTENT)))
def test_content_module_is_pure(path):
    assert file_violations(path) == [], path.relative_to(ROOT)


def test_every_content_module_is_checked():
    assert {str(p.relative_to(CONTENT)) for p in modules()} >= {
        "excerpt.py",
        "post_file.py",
        "models.py",
        "render/telegram.py",
        "render/discord.py",
    }


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import sqlalchemy.orm", "imports sqlalchemy.orm"),
        ("from telegram import Bot", "imports telegram"),
        ("import discord", "imports discord"),
        ("import os", "imports os"),
        ("from pathlib import Path", "imports pathlib"),
        ("from bot.store import queries", "imports bot.store"),
        ("from bot import settings", "imports bot.settings"),
        ("from bot.platforms.telegram import sender", "imports bot.platforms.telegram"),
        ("from ...store import queries", "imports bot.store"),  # relative, from bot/content/render
        ("from ... import app", "imports bot.app"),
        ("import importlib", "imports importlib"),
        ("x = __import__('sqlite3')", "calls __import__()"),
        ("data = open('posts/a.md').read()", "calls open()"),
        ("print('hi')", "calls print()"),
        ("from datetime import datetime\nstamp = datetime.now()", "reads the clock: .now()"),
    ],
)
def test_the_check_catches_a_violation(source, found):
    assert found in violations(source, "bot.content.render.example")


def test_a_bad_file_fails_the_same_check_the_real_modules_pass(tmp_path):
    content = tmp_path / "bot" / "content"
    content.mkdir(parents=True)
    (content / "__init__.py").write_text("from . import bad\n")
    (content / "good.py").write_text(
        "import re\nfrom dataclasses import dataclass\nfrom datetime import UTC, datetime\n"
        "from bot.content.models import Lang\nfrom .i18n import t\n"
        "def when(value: datetime) -> datetime:\n    return value.astimezone(UTC)\n"
    )
    (content / "bad.py").write_text(
        "import sqlalchemy\nfrom ..store.queries import latest\nfrom bot.platforms import telegram\n"
        "def read(path):\n    with open(path) as handle:\n        return handle.read()\n"
    )
    assert file_violations(content / "good.py", tmp_path) == []
    assert file_violations(content / "__init__.py", tmp_path) == []  # bot.content.bad is inside
    assert file_violations(content / "bad.py", tmp_path) == [
        "imports sqlalchemy",
        "imports bot.store.queries",
        "imports bot.store.queries.latest",
        "imports bot.platforms",
        "imports bot.platforms.telegram",
        "calls open()",
    ]
