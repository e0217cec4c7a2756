"""Command line: `python -m bot scan|reindex|latest|preview|run|status|destinations|discord|db`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError

from bot.app import App, build_app
from bot.content.models import LatestPage, Notice, Transmission
from bot.content.render import discord as discord_render
from bot.content.render import telegram as telegram_render
from bot.content.render import text as text_render
from bot.content.render.webhook import FORMATS
from bot.content.safe_text import safe_name
from bot.leadership import LeadershipError
from bot.logs import configure as configure_logging
from bot.logs import secret_parts
from bot.platforms import registry
from bot.platforms.console.platform import CONSOLE_CHAT_ID
from bot.platforms.discord.spec import build as discord_platform
from bot.platforms.spec import StartupError
from bot.platforms.webhook import endpoints as webhooks
from bot.preflight import PreflightError, check_database_location, check_posts_dir, sqlite_path
from bot.runner import LeadershipLost, run
from bot.services import digests
from bot.services.schedules import ScheduleError, parse_digest_schedule
from bot.services.subscriptions import CATEGORY_SEPARATORS
from bot.settings import Settings, SettingsError, load_settings
from bot.store import destinations, posts
from bot.store.database import DatabaseURLError
from bot.store.destinations import KINDS
from bot.store.models import Destination
from bot.store.states import DestinationKind
from bot.store.status import StatusReport, status


class _JSONErrorParser(argparse.ArgumentParser):
    """Report a bad command line as JSON, for callers that asked for --json."""

    def error(self, message: str) -> NoReturn:
        print(json.dumps({"error": f"{self.prog}: {message}"}, ensure_ascii=False))
        self.exit(2)


def _parser(json_errors: bool = False) -> argparse.ArgumentParser:
    kind = _JSONErrorParser if json_errors else argparse.ArgumentParser
    parser = kind(prog="python -m bot", description=__doc__)
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
    destinations.add_argument("--platform", choices=registry.names())
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
    destinations.add_argument("--url", help="webhook: the https:// URL each transmission is POSTed to")
    destinations.add_argument("--format", choices=FORMATS, help="webhook: the body's shape (default json)")
    destinations.add_argument("--secret", help="webhook: signing secret (json: made up when not given)")
    destinations.add_argument("--json", action="store_true")
    discord = commands.add_parser("discord", help="Discord maintenance")
    discord.add_argument("action", choices=("sync",), help="upload the slash commands now")
    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=("upgrade",), help="apply migrations")
    return parser


class CommandError(Exception):
    """A command cannot do what was asked; the message is the one line to show."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# Commands that read POSTS_DIR as their job: a missing folder is an error, not "0 posts".
_NEEDS_POSTS = frozenset({"scan", "reindex", "run"})
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `incoming-transmission` script."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = _parser(json_errors="--json" in words).parse_args(words)
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


def _error(args: argparse.Namespace, message: str, code: int) -> int:
    """Show an error in the command's own format: one JSON object with --json, else one line."""
    if getattr(args, "json", False):
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        print(f"error: {message}", file=sys.stderr)
    return code


def _main(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _error(args, str(exc), 2)
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
        check_database_location(settings)
        if args.command in _NEEDS_POSTS:
            check_posts_dir(settings)
        return asyncio.run(_with_app(settings, handlers[args.command], args))
    except (PreflightError, DatabaseURLError) as exc:
        return _error(args, str(exc), 2)
    except CommandError as exc:
        return _error(args, str(exc), exc.code)
    except DatabaseError as exc:
        # The database itself refused (locked, read-only, not a database, unreachable); a
        # constraint or programming error is a bug and keeps its traceback below.
        if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
            logging.getLogger("bot").critical("stopped by an unexpected error: %r", exc, exc_info=True)
            return 1
        return _error(args, _database_failure(settings, exc), 1)
    except (StartupError, LeadershipError) as exc:
        if args.command == "run":
            logging.getLogger("bot").critical("cannot start: %s", exc)
            return 1
        return _error(args, f"cannot start: {exc}", 1)
    except BrokenPipeError:
        raise
    except Exception as exc:
        # Through logging, not Python's own traceback printer, so the secrets filter sees it.
        logging.getLogger("bot").critical("stopped by an unexpected error: %r", exc, exc_info=True)
        if getattr(args, "json", False):
            _error(args, f"unexpected error: {type(exc).__name__} (the log on stderr has the details)", 1)
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
    if args.page < 1:
        raise CommandError("--page takes a page number from 1", 2)
    await app.scan()
    lang = app.settings.language
    view = await app.commands.latest_page(args.page, lang)
    if isinstance(view, Notice):  # the chat's words ("/latest 2") are not this command's
        first = await app.commands.latest_page(1, lang)
        pages = first.pages if isinstance(first, LatestPage) else 1
        raise CommandError(
            f"no page {args.page}: there {'is 1 page' if pages == 1 else f'are {pages} pages'}"
        )
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
        raise CommandError(
            f"no post {safe_name(args.slug[:100])!r}: `latest` lists the posts with their slugs"
        )
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
        report = await status(session, app.clock.now(), check=digests.schedule_problem)
    not_sending = _not_sending(app.settings, report)
    if args.json:
        _print_json({**report, "not_sending": not_sending})
        return 0
    for platform, states in sorted(report["destinations"].items()):
        print(f"{platform}: {states['active']} active, {states['disabled']} disabled")
    for idle in not_sending:
        print(f"{idle['platform']}: {idle['queued']} deliveries wait: {idle['reason']}")
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
        where = f"{digest['platform']}:{digest['chat_id']}"
        problem = f" — {digest['problem']}" if digest["problem"] else ""
        print(f"  digest: {where} {digest['schedule']} {digest['tz']}{problem}")
    return 0


def _not_sending(settings: Settings, report: StatusReport) -> list[dict[str, Any]]:
    """List the platforms with destinations that nothing sends to, because `run` won't start them."""
    tokens = {"telegram": settings.telegram_bot_token, "discord": settings.discord_bot_token}
    reasons = {
        name: f"{name.upper()}_BOT_TOKEN is not set" for name, token in tokens.items() if token is None
    }
    if any(token is not None for token in tokens.values()):
        reasons["console"] = "the console shows transmissions only when no bot token is set"
    if not settings.webhooks:
        reasons["webhook"] = "WEBHOOKS is false"
    idle = []
    for platform, states in sorted(report["destinations"].items()):
        queued = report["queued_by_platform"].get(platform, 0)
        if platform in reasons and (queued or states["active"]):
            idle.append({"platform": platform, "queued": queued, "reason": reasons[platform]})
    return idle


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
            hook = f" {d.title} {d.endpoint_format}" if d.endpoint_url else ""
            print(f"{d.id:>5} {d.platform:<8} {where:<24} {d.kind:<8} {state}{hook}{extra}{cats}")
        return 0
    if args.platform == "webhook":
        args.chat_id = _webhook_chat(args)
    elif args.url or args.format or args.secret:
        raise CommandError("--url, --format and --secret go with --platform webhook", 2)
    if not args.platform or not args.chat_id:
        raise CommandError("--platform and --chat-id are required", 2)
    chat_id, thread = str(args.chat_id).strip(), str(args.thread or "").strip()
    if args.action == "add":
        kind = _check_chat(args.platform, chat_id, thread, args.kind)
        categories = await _known_categories(app, args.category)
        if args.digest:
            try:
                parse_digest_schedule(args.digest, args.tz, app.clock.now())
            except ScheduleError as exc:
                raise CommandError(_schedule_problem(exc, args.digest, args.tz), 2) from None
        elif args.tz != "UTC":
            raise CommandError("--tz is the time zone of a --digest schedule; give --digest too", 2)
        wish = destinations.Subscription(
            platform=args.platform,
            chat_id=chat_id,
            thread_id=thread,
            kind=DestinationKind(kind),
            categories=categories,
            digest_cron=args.digest,
            digest_tz=args.tz,
            language=args.language,
            silent=args.silent,
            title=webhooks.shown_url(args.url) if args.platform == "webhook" else "",
        )
        async with app.sessions.begin() as session:
            added, created = await destinations.subscribe(session, wish, app.clock.now())
            made = _store_endpoint(added, args) if args.platform == "webhook" else None
        print(("added" if created else "updated") + f" {args.platform}:{chat_id}")
        if made:
            print(f"secret {made} (receivers check signatures with it; it is not shown again)")
        return 0
    async with app.sessions.begin() as session:
        found = await destinations.find(session, args.platform, chat_id, thread)
        if found is None:
            raise CommandError(f"no destination {args.platform}:{chat_id}" + (f"/{thread}" if thread else ""))
        if args.action == "remove":
            await session.delete(found)
            print(f"removed {args.platform}:{chat_id}")
        else:
            found.active, found.disabled_reason = True, None
            print(f"enabled {args.platform}:{chat_id}")
    return 0


_TELEGRAM_ID = re.compile(r"-?[1-9][0-9]{0,18}")
_POSITIVE_ID = re.compile(r"[1-9][0-9]{0,19}")


def _check_chat(platform: str, chat_id: str, thread: str, kind: str | None) -> str:
    """Refuse the ids the chat commands could never produce; return the destination's kind."""
    if platform == "telegram":
        if not _TELEGRAM_ID.fullmatch(chat_id) or not -(2**63) <= int(chat_id) < 2**63:
            raise CommandError(
                f"--chat-id {chat_id[:40]!r}: a Telegram chat id is a whole number (groups and channels "
                "are negative, channels start with -100); a @username is not an id",
                2,
            )
        if thread and (not _POSITIVE_ID.fullmatch(thread) or int(thread) >= 2**31):
            raise CommandError(f"--thread {thread[:40]!r}: a forum topic id is a positive whole number", 2)
        if thread == "1":
            raise CommandError("--thread 1 is the General topic: leave --thread out to post there", 2)
        if thread and not chat_id.startswith("-"):
            raise CommandError("--thread: only groups (negative ids) have forum topics", 2)
    elif platform == "discord":
        for name, value in (("--chat-id", chat_id), ("--thread", thread)):
            if value and (not _POSITIVE_ID.fullmatch(value) or int(value) >= 2**64):
                raise CommandError(f"{name} {value[:40]!r}: a Discord channel or thread id is a number", 2)
    elif platform == "webhook":
        if thread:
            raise CommandError("--thread: a webhook has no threads", 2)
        return "channel"
    elif chat_id != CONSOLE_CHAT_ID or thread:
        raise CommandError(f"the console has one destination: --chat-id {CONSOLE_CHAT_ID} and no --thread", 2)
    guessed = destinations.guess_kind(platform, chat_id, thread)
    if kind is None:
        return guessed
    if (kind == DestinationKind.THREAD) != bool(thread):
        raise CommandError("--kind thread goes with --thread, and --thread with --kind thread", 2)
    if platform == "telegram" and (kind == DestinationKind.PRIVATE) != (not chat_id.startswith("-")):
        raise CommandError(
            f"--kind {kind} does not fit --chat-id {chat_id}: private chats have positive ids, "
            "groups and channels negative ones",
            2,
        )
    return kind


async def _known_categories(app: App, wanted: Sequence[str]) -> tuple[str, ...]:
    """Match --category values to the blog's categories, as /subscribe does; refuse unknown ones."""
    names = [part.strip() for value in wanted for part in CATEGORY_SEPARATORS.split(value) if part.strip()]
    if not names:
        return ()
    if app.settings.posts_dir.is_dir():
        await app.scan()  # categories come from the posts: know the newest ones
    async with app.sessions() as session:
        known = {c.name.casefold(): c.name for c in await posts.categories(session, app.clock.now())}
    unknown = [name for name in names if name.casefold() not in known]
    if unknown:
        listed = ", ".join(sorted(known.values())) or "none yet (no published posts)"
        raise CommandError(
            f"--category {unknown[0][:64]!r} is not a category of the blog; categories: {listed}", 2
        )
    return tuple(dict.fromkeys(known[name.casefold()] for name in names))


def _schedule_problem(exc: ScheduleError, spec: str, zone: str) -> str:
    """Say what is wrong with --digest/--tz in the command line's words (not /subscribe's)."""
    if exc.key == "unknown_zone":
        return f"--tz {zone[:64]!r}: unknown time zone; use an IANA name like Asia/Shanghai or UTC"
    if exc.key == "too_frequent":
        return f"--digest {spec[:64]!r} fires more often than once an hour; a digest comes at most hourly"
    return f"--digest {spec[:64]!r}: use HH:MM (daily) or five cron fields (minute hour day month weekday)"


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
    } | _endpoint_json(d)


def _webhook_chat(args: argparse.Namespace) -> str:
    """Name a webhook destination by its URL (--url), or by the id `destinations list` shows."""
    if not args.url:
        if args.action == "add":
            raise CommandError("--url is required for a webhook", 2)
        return str(args.chat_id or "")
    try:
        args.url = webhooks.check_url(args.url)
    except webhooks.EndpointError as exc:
        raise CommandError(f"--url: {exc}", 2) from None
    try:
        args.secret = webhooks.check_secret(args.secret) if args.secret else None
    except webhooks.EndpointError as exc:
        raise CommandError(f"--secret: {exc}", 2) from None
    return webhooks.chat_id_for(args.url)


def _store_endpoint(found: Destination, args: argparse.Namespace) -> str | None:
    """Store a webhook's URL, format and secret; return the secret if it was made up here."""
    fmt = args.format or found.endpoint_format or "json"
    secret = args.secret or found.endpoint_secret  # adding again without --secret keeps it
    made = webhooks.new_secret() if secret is None and fmt == "json" else None
    found.endpoint_url, found.endpoint_format, found.endpoint_secret = args.url, fmt, secret or made
    return made


def _endpoint_json(d: Destination) -> dict[str, Any]:
    """Show a webhook's URL as safe to show (scheme and host) and its format; never its secret."""
    if not d.endpoint_url:
        return {}
    shown = webhooks.shown_url(d.endpoint_url)
    return {"endpoint": shown, "format": d.endpoint_format, "signed": bool(d.endpoint_secret)}


async def _discord(app: App, args: argparse.Namespace) -> int:
    if app.settings.discord_bot_token is None:
        raise CommandError("DISCORD_BOT_TOKEN is not set", 2)
    from bot.platforms.discord.platform import force_sync

    platform = discord_platform(app, gateway=False)
    names = await force_sync(platform)
    print(f"synced {len(names)} slash commands ({platform.scope}): {', '.join(names)}")
    return 0


async def _db(app: App, args: argparse.Namespace) -> int:
    print("database is up to date")
    return 0
