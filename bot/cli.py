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

from bot.app import App, LeadershipLost, build_app, discord_platform, run
from bot.broadcast.platform import StartupError
from bot.content.models import LatestPage, Notice, Transmission
from bot.content.render import discord as discord_render
from bot.content.render import telegram as telegram_render
from bot.content.render import text as text_render
from bot.content.safe_text import safe_name
from bot.logs import configure as configure_logging
from bot.logs import secret_parts
from bot.scheduler import parse_schedule
from bot.settings import Settings, SettingsError, load_settings
from bot.store import destinations
from bot.store.database import DatabaseURLError
from bot.store.destinations import KINDS, PLATFORMS
from bot.store.models import Destination
from bot.store.status import status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scan = commands.add_parser("scan", help="index posts/ now")
    scan.add_argument("--json", action="store_true", help="print the result as JSON")
    reindex = commands.add_parser(
        "reindex", help="derive every stored post again from its file (nothing is broadcast again)"
    )
    reindex.add_argument("--json", action="store_true", help="print the result as JSON")
    latest = commands.add_parser("latest", help="show a LATEST UPDATES page")
    latest.add_argument("--page", type=int, default=1, help="page number (default 1)")
    latest.add_argument("--json", action="store_true", help="print the page as JSON")
    preview = commands.add_parser("preview", help="show exactly what a platform would be sent")
    preview.add_argument("slug")
    preview.add_argument("--platform", choices=("text", "telegram", "discord"), default="text")
    preview.add_argument("--json", action="store_true", help="print the API call as JSON")
    run = commands.add_parser("run", help="run the bot (console platform when no token is set)")
    run.add_argument(
        "--backfill", type=int, default=0, metavar="N", help="send the newest N posts to everyone once"
    )
    status = commands.add_parser("status", help="destinations, queue and recent failures")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    destinations = commands.add_parser("destinations", help="manage where transmissions go")
    destinations.add_argument("action", choices=("add", "list", "remove", "enable"))
    destinations.add_argument("--platform", choices=PLATFORMS)
    destinations.add_argument("--chat-id", help="chat, channel or Discord channel id")
    destinations.add_argument("--thread", default="", help="forum topic or Discord thread id")
    destinations.add_argument("--kind", choices=KINDS, help="default: guessed from the id")
    destinations.add_argument(
        "--category", action="append", default=[], help="only this category (repeatable)"
    )
    destinations.add_argument("--digest", metavar="CRON", help="digest schedule: HH:MM or a cron expression")
    destinations.add_argument("--tz", default="UTC", help="time zone of the digest schedule")
    destinations.add_argument("--language", choices=("zh", "en"))
    destinations.add_argument("--silent", action="store_true", help="send without notification sound")
    destinations.add_argument("--json", action="store_true")
    discord = commands.add_parser("discord", help="Discord maintenance")
    discord.add_argument("action", choices=("sync",), help="upload the slash commands now")
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
    secrets = [
        part
        for token in (settings.telegram_bot_token, settings.discord_bot_token)
        if token is not None
        for part in secret_parts(token.get_secret_value())
    ]
    if settings.telegram_webhook_secret is not None:
        secrets.append(settings.telegram_webhook_secret.get_secret_value())
    configure_logging(settings.log_level, secrets, as_json=settings.log_format == "json")
    handlers: dict[str, Callable[[App, argparse.Namespace], Awaitable[int]]] = {
        "scan": _scan,
        "reindex": _scan,
        "latest": _latest,
        "preview": _preview,
        "run": _run,
        "db": _db,
        "status": _status,
        "discord": _discord,
        "destinations": _destinations,
    }
    try:
        return asyncio.run(_with_app(settings, handlers[args.command], args))
    except DatabaseURLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        logging.getLogger("bot").critical("cannot start: %s", exc)
        return 1
    except Exception as exc:
        # Through logging, not Python's own traceback printer, so the secrets filter sees it.
        logging.getLogger("bot").critical("stopped by an unexpected error: %r", exc, exc_info=True)
        return 1
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
    report = await app.scan(progress, rederive=args.command == "reindex")
    if progress is not None:
        sys.stderr.write("\n")
    if args.json:
        _print_json(report.to_json())
        return 0
    print(
        f"{report.indexed} posts indexed: {len(report.new)} new, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.invalid)} invalid, {len(report.skipped)} not posts"
        + (" (every post derived again)" if report.rederived else "")
    )
    for path, error in report.invalid:
        print(f"  {safe_name(path)}: {error}")
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
    try:
        await run(app, stop, backfill=args.backfill)
    except LeadershipLost:
        return 75  # EX_TEMPFAIL: a supervisor restarts us, as a standby
    return 0


async def _status(app: App, args: argparse.Namespace) -> int:
    async with app.sessions() as session:
        report = await status(session, app.clock.now())
    if args.json:
        _print_json(report)
        return 0
    for platform, states in sorted(report["destinations"].items()):
        print(f"{platform}: {states['active']} active, {states['disabled']} disabled")
    print(
        f"queue {report['queue']} (sending {report['sending']}), sent {report['sent']}, "
        f"failed {report['failed']}, retrying {report['retrying']}"
    )
    for failure in report["last_failures"]:
        print(f"  failure: {failure['platform']}:{failure['chat_id']} {failure['kind']} — {failure['error']}")
    for item in report["disabled"]:
        print(f"  disabled: {item['platform']}:{item['chat_id']} — {item['reason']}")
    for post in report["scheduled_posts"]:
        print(f"  scheduled: {post['slug']} at {post['at']}")
    for digest in report["digests"]:
        print(f"  digest: {digest['platform']}:{digest['chat_id']} {digest['schedule']} {digest['tz']}")
    return 0


async def _destinations(app: App, args: argparse.Namespace) -> int:
    if args.action == "list":
        async with app.sessions() as session:
            listed = await destinations.listing(session)
        if args.json:
            _print_json([_destination_json(d) for d in listed])
            return 0
        for d in listed:
            state = "active" if d.active else f"disabled ({d.disabled_reason})"
            where = d.chat_id + (f"/{d.thread_id}" if d.thread_id else "")
            extra = f" digest {d.digest_cron} {d.digest_tz}" if d.digest_cron else ""
            cats = f" categories {', '.join(d.categories)}" if d.categories else ""
            print(f"{d.id:>5} {d.platform:<8} {where:<24} {d.kind:<8} {state}{extra}{cats}")
        return 0
    if not args.platform or not args.chat_id:
        print("error: --platform and --chat-id are required", file=sys.stderr)
        return 2
    chat_id, thread = str(args.chat_id), str(args.thread or "")
    async with app.sessions.begin() as session:
        if args.action == "add":
            if args.digest:
                try:
                    parse_schedule(args.digest, args.tz)
                except (ValueError, KeyError) as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
            wish = destinations.Subscription(
                platform=args.platform,
                chat_id=chat_id,
                thread_id=thread,
                kind=args.kind or destinations.guess_kind(args.platform, chat_id, thread),
                categories=tuple(args.category),
                digest_cron=args.digest,
                digest_tz=args.tz,
                language=args.language,
                silent=args.silent,
            )
            _, created = await destinations.subscribe(session, wish, app.clock.now())
            print(("added" if created else "updated") + f" {args.platform}:{chat_id}")
            return 0
        found = await destinations.find(session, args.platform, chat_id, thread)
        if found is None:
            print(f"error: no destination {args.platform}:{chat_id}", file=sys.stderr)
            return 1
        if args.action == "remove":
            await session.delete(found)
            print(f"removed {args.platform}:{chat_id}")
        else:
            found.active, found.disabled_reason = True, None
            print(f"enabled {args.platform}:{chat_id}")
    return 0


def _destination_json(d: Destination) -> dict[str, Any]:
    return {
        "id": d.id,
        "platform": d.platform,
        "chat_id": d.chat_id,
        "thread_id": d.thread_id,
        "kind": d.kind,
        "mode": d.mode,
        "digest": d.digest_cron,
        "tz": d.digest_tz,
        "categories": d.categories,
        "active": d.active,
        "disabled_reason": d.disabled_reason,
    }


async def _discord(app: App, args: argparse.Namespace) -> int:
    if app.settings.discord_bot_token is None:
        print("error: DISCORD_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    from bot.platforms.discord.platform import force_sync

    platform = discord_platform(app, gateway=False)
    names = await force_sync(platform)
    print(f"synced {len(names)} slash commands ({platform.scope}): {', '.join(names)}")
    return 0


async def _db(app: App, args: argparse.Namespace) -> int:
    print("database is up to date")
    return 0
