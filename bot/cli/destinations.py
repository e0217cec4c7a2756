"""The destinations command: subscribe, list, remove and enable chats and webhooks by hand."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from bot.app import App
from bot.cli.common import CommandError, print_json
from bot.platforms.console.platform import CONSOLE_CHAT_ID
from bot.platforms.webhook import endpoints as webhooks
from bot.services.schedules import ScheduleError, parse_digest_schedule
from bot.services.subscriptions import CATEGORY_SEPARATORS
from bot.store import destinations, posts
from bot.store.models import Destination
from bot.store.states import DestinationKind


async def destinations_command(app: App, args: argparse.Namespace) -> int:
    """Add, list, remove or enable a destination, checked like the chat commands check them."""
    if args.action == "list":
        return await _list(app, args)
    if args.platform == "webhook":
        args.chat_id = _webhook_chat(args)
    elif args.url or args.format or args.secret:
        raise CommandError("--url, --format and --secret go with --platform webhook", 2)
    if not args.platform or not args.chat_id:
        raise CommandError("--platform and --chat-id are required", 2)
    chat_id, thread = str(args.chat_id).strip(), str(args.thread or "").strip()
    if args.action == "add":
        return await _add(app, args, chat_id, thread)
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


async def _list(app: App, args: argparse.Namespace) -> int:
    async with app.sessions() as session:
        listed = await destinations.listing(session)
    if args.json:
        print_json([_destination_json(d) for d in listed])
        return 0
    for d in listed:
        state = "active" if d.active else f"disabled ({d.disabled_reason})"
        where = d.chat_id + (f"/{d.thread_id}" if d.thread_id else "")
        extra = f" digest {d.digest_cron} {d.digest_tz}" if d.digest_cron else ""
        cats = f" categories {', '.join(d.categories)}" if d.categories else ""
        hook = f" {d.title} {d.endpoint_format}" if d.endpoint_url else ""
        print(f"{d.id:>5} {d.platform:<8} {where:<24} {d.kind:<8} {state}{hook}{extra}{cats}")
    return 0


async def _add(app: App, args: argparse.Namespace, chat_id: str, thread: str) -> int:
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
