"""Entry point: settings, logging, the checks before a command, and its errors."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from bot.app import App, build_app
from bot.cli.arguments import build_parser
from bot.cli.common import CommandError, show_error
from bot.cli.destinations import destinations_command
from bot.cli.operations import db_command, discord_command, run_bot, status_command
from bot.cli.posts import latest, preview, scan
from bot.leadership import LeadershipError
from bot.logs import configure as configure_logging
from bot.logs import secret_parts
from bot.platforms.spec import StartupError
from bot.preflight import PreflightError, check_database_location, check_posts_dir, sqlite_path
from bot.settings import Settings, SettingsError, load_settings
from bot.store.database import DatabaseURLError

# Commands that read POSTS_DIR as their job: a missing folder is an error, not "0 posts".
_NEEDS_POSTS = frozenset({"scan", "reindex", "run"})


EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `incoming-transmission` script."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(json_errors="--json" in words).parse_args(words)
    try:
        code = _main(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader went away (`latest | head`): stop quietly, like any Unix tool.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit cannot fail again
        return EXIT_BROKEN_PIPE


HANDLERS: dict[str, Callable[[App, argparse.Namespace], Awaitable[int]]] = {
    "scan": scan,
    "reindex": scan,
    "latest": latest,
    "preview": preview,
    "run": run_bot,
    "db": db_command,
    "status": status_command,
    "discord": discord_command,
    "destinations": destinations_command,
}


def _configure_logging(settings: Settings) -> None:
    """Log as the settings say, with every token and secret blanked out of every line."""
    secrets = [
        part
        for token in (settings.telegram_bot_token, settings.discord_bot_token)
        if token is not None
        for part in secret_parts(token.get_secret_value())
    ]
    if settings.telegram_webhook_secret is not None:
        secrets.append(settings.telegram_webhook_secret.get_secret_value())
    configure_logging(settings.log_level, secrets, as_json=settings.log_format == "json")


def _main(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        return show_error(args, str(exc), 2)
    _configure_logging(settings)
    try:
        check_database_location(settings)
        if args.command in _NEEDS_POSTS:
            check_posts_dir(settings)
        return asyncio.run(_with_app(settings, HANDLERS[args.command], args))
    except (PreflightError, DatabaseURLError) as exc:
        return show_error(args, str(exc), 2)
    except CommandError as exc:
        return show_error(args, str(exc), exc.code)
    except DatabaseError as exc:
        # The database itself refused (locked, read-only, not a database, unreachable); a
        # constraint or programming error is a bug and keeps its traceback below.
        if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
            logging.getLogger("bot").critical("stopped by an unexpected error: %r", exc, exc_info=True)
            return 1
        return show_error(args, _database_failure(settings, exc), 1)
    except (StartupError, LeadershipError) as exc:
        if args.command == "run":
            logging.getLogger("bot").critical("cannot start: %s", exc)
            return 1
        return show_error(args, f"cannot start: {exc}", 1)
    except BrokenPipeError:
        raise
    except Exception as exc:
        # Through logging, not Python's own traceback printer, so the secrets filter sees it.
        logging.getLogger("bot").critical("stopped by an unexpected error: %r", exc, exc_info=True)
        if getattr(args, "json", False):
            show_error(args, f"unexpected error: {type(exc).__name__} (the log on stderr has the details)", 1)
        return 1
    except KeyboardInterrupt:
        return 130


def _database_failure(settings: Settings, exc: DatabaseError) -> str:
    """Say in one line which database failed and how (SQLite's own words, no traceback)."""
    reason = " ".join(str(exc.orig).split())[:300]
    path = sqlite_path(settings.database_url)
    if path is not None:
        return f"DATABASE_URL: the SQLite database {path.resolve()} failed: {reason}"
    return f"DATABASE_URL: the database failed: {reason}"


async def _with_app(
    settings: Settings, handler: Callable[[App, argparse.Namespace], Awaitable[int]], args: argparse.Namespace
) -> int:
    app = build_app(settings)
    try:
        if args.command != "run":  # `run` waits for the database instead (see bot.leadership)
            try:
                await app.prepare()
            except (OSError, asyncpg.PostgresError) as exc:
                url = make_url(settings.database_url)
                reason = " ".join(str(exc).split())[:200] or type(exc).__name__
                where = f" at {url.host}:{url.port or 5432}" if url.host else ""
                raise CommandError(f"DATABASE_URL: cannot reach the database{where}: {reason}") from None
        return await handler(app, args)
    finally:
        await app.close()
