"""Command line: `python -m bot scan|latest|preview|run|db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.app import App, build_app, run
from bot.content.models import LatestPage, Notice, Transmission
from bot.content.render import discord as discord_render
from bot.content.render import telegram as telegram_render
from bot.content.render import text as text_render
from bot.settings import Settings, SettingsError, load_settings
from bot.store.database import DatabaseURLError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scan = commands.add_parser("scan", help="index posts/ now")
    scan.add_argument("--json", action="store_true", help="print the result as JSON")
    latest = commands.add_parser("latest", help="show a LATEST UPDATES page")
    latest.add_argument("--page", type=int, default=1, help="page number (default 1)")
    latest.add_argument("--json", action="store_true", help="print the page as JSON")
    preview = commands.add_parser("preview", help="show exactly what a platform would be sent")
    preview.add_argument("slug")
    preview.add_argument("--platform", choices=("text", "telegram", "discord"), default="text")
    preview.add_argument("--json", action="store_true", help="print the API call as JSON")
    commands.add_parser("run", help="run the bot (console platform when no token is set)")
    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=("upgrade",), help="apply migrations")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `incoming-transmission` script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and Telegram's URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    handlers: dict[str, Callable[[App, argparse.Namespace], Awaitable[int]]] = {
        "scan": _scan,
        "latest": _latest,
        "preview": _preview,
        "run": _run,
        "db": _db,
    }
    try:
        return asyncio.run(_with_app(settings, handlers[args.command], args))
    except DatabaseURLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _with_app(
    settings: Settings, handler: Callable[[App, argparse.Namespace], Awaitable[int]], args: argparse.Namespace
) -> int:
    app = build_app(settings)
    try:
        if args.command != "run":
            await app.prepare()
        return await handler(app, args)
    finally:
        await app.close()


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


async def _scan(app: App, args: argparse.Namespace) -> int:
    progress = _progress_bar if sys.stderr.isatty() else None
    report = await app.scan(progress)
    if progress is not None:
        sys.stderr.write("\n")
    if args.json:
        _print_json(report.to_json())
        return 0
    print(
        f"{report.indexed} posts indexed: {len(report.new)} new, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.invalid)} invalid"
    )
    for path, error in report.invalid:
        print(f"  {path}: {error}")
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\rindexing [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()


async def _latest(app: App, args: argparse.Namespace) -> int:
    await app.scan()
    lang = app.settings.language
    view = await app.commands.latest(str(args.page), lang)
    if isinstance(view, Notice):
        print(view.text, file=sys.stderr)
        return 1
    assert isinstance(view, LatestPage)
    if args.json:
        _print_json(
            {
                "page": view.page,
                "pages": view.pages,
                "total": view.total,
                "items": [
                    {
                        "slug": item.slug,
                        "title": item.title,
                        "category": item.category,
                        "date": item.published_at.isoformat(),
                        "excerpt": item.excerpt,
                        "url": item.url,
                    }
                    for item in view.items
                ],
            }
        )
    else:
        print(text_render.render_page(view, app.settings.zone))
    return 0


async def _preview(app: App, args: argparse.Namespace) -> int:
    await app.scan()
    view = await app.commands.post(args.slug, app.settings.language)
    if not isinstance(view, Transmission):
        print(view.text if isinstance(view, Notice) else "not found", file=sys.stderr)
        return 1
    zone = app.settings.zone
    if args.platform == "telegram":
        call = telegram_render.render_transmission(view, zone).to_api()
        _print_json(call) if args.json else print(call.get("text") or call.get("caption"))
    elif args.platform == "discord":
        # An embed has no plain form worth printing, so both forms show the JSON body.
        _print_json(discord_render.render_transmission(view, zone).to_api())
    else:
        rendered = text_render.render_transmission(view, zone)
        _print_json({"text": rendered}) if args.json else print(rendered)
    return 0


async def _run(app: App, args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run(app, stop)
    return 0


async def _db(app: App, args: argparse.Namespace) -> int:
    print("database is up to date")
    return 0
