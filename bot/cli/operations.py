"""Commands that run or inspect the bot: run, status, discord sync, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
from typing import Any

from bot.app import App
from bot.broadcast.paid import stars
from bot.cli.common import CommandError, print_json
from bot.platforms.discord.spec import build as discord_platform
from bot.runner import LeadershipLost, run
from bot.services import digests
from bot.settings import Settings
from bot.store.status import StatusReport, status

GC_YOUNG = 20_000  # objects allocated before the youngest generation is collected (Python: 700)


def tune_gc() -> None:
    """Collect cycles less often in a long-running bot: the start-up objects are frozen first."""
    # A broadcast allocates a few hundred short-lived objects a send, nearly all freed by their
    # reference counts; at Python's default the cycle collector ran every couple of sends and
    # cost ~10 % of the CPU at 1,000 sends a second. What is alive after start-up is never garbage.
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


async def run_bot(app: App, args: argparse.Namespace) -> int:
    """Run the bot until SIGTERM or Ctrl-C."""
    tune_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run(app, stop, backfill=args.backfill)
    except LeadershipLost:
        return 75  # EX_TEMPFAIL: a supervisor restarts us, as a standby
    return 0


async def status_command(app: App, args: argparse.Namespace) -> int:
    """Print destinations, queue, failures and what waits for a token."""
    async with app.sessions() as session:
        report = await status(session, app.clock.now(), check=digests.schedule_problem)
    not_sending = _not_sending(app.settings, report)
    if args.json:
        print_json({**report, "not_sending": not_sending})
        return 0
    for platform, states in sorted(report["destinations"].items()):
        print(f"{platform}: {states['active']} active, {states['disabled']} disabled")
    for idle in not_sending:
        print(f"{idle['platform']}: {idle['queued']} deliveries wait: {idle['reason']}")
    print(
        f"queue {report['queue']} (sending {report['sending']}), sent {report['sent']}, "
        f"failed {report['failed']}, retrying {report['retrying']}"
    )
    for line in paid_lines(app.settings, report["paid_today"]):
        print(line)
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


def paid_lines(settings: Settings, paid_today: dict[str, int]) -> list[str]:
    """Say how paid broadcasts stand: the mode, today's paid sends and the Stars they cost of the budget."""
    mode, budget = settings.telegram_paid_broadcast, settings.telegram_paid_daily_stars
    sent = paid_today.get("telegram", 0)
    if mode == "off" and not sent:
        return []
    when = f"auto, queues over {settings.telegram_paid_min_queue:,}" if mode == "auto" else mode
    of = f" of {budget:g}" if budget is not None and mode != "off" else ""
    return [
        f"paid broadcasts (telegram): {when}, up to {settings.telegram_paid_per_s}/s; "
        f"today {sent:,} paid sends, {stars(sent):g}{of} Stars"
    ]


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


async def discord_command(app: App, args: argparse.Namespace) -> int:
    """Upload the Discord slash commands now."""
    if app.settings.discord_bot_token is None:
        raise CommandError("DISCORD_BOT_TOKEN is not set", 2)
    from bot.platforms.discord.platform import force_sync

    platform = discord_platform(app, gateway=False)
    names = await force_sync(platform)
    print(f"synced {len(names)} slash commands ({platform.scope}): {', '.join(names)}")
    return 0


async def db_command(app: App, args: argparse.Namespace) -> int:
    """Apply the database migrations."""
    print("database is up to date")
    return 0
