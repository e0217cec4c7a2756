"""Commands that read posts: scan, reindex, latest, preview."""

from __future__ import annotations

import argparse
import sys

from bot.app import App
from bot.cli.common import CommandError, print_json
from bot.content.models import LatestPage, Notice, Transmission
from bot.content.render import discord as discord_render
from bot.content.render import telegram as telegram_render
from bot.content.render import text as text_render
from bot.content.safe_text import safe_name


async def scan(app: App, args: argparse.Namespace) -> int:
    """Index POSTS_DIR now (`reindex`: derive every post again)."""
    progress = _progress_bar if sys.stderr.isatty() else None
    report = await app.scan(progress, rederive=args.command == "reindex")
    if progress is not None:
        sys.stderr.write("\n")
    if args.json:
        print_json(report.to_json())
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


async def latest(app: App, args: argparse.Namespace) -> int:
    """Print a LATEST UPDATES page."""
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
        print_json(
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


async def preview(app: App, args: argparse.Namespace) -> int:
    """Print exactly what a platform would be sent for one post."""
    await app.scan()
    view = await app.commands.post(args.slug, app.settings.language)
    if not isinstance(view, Transmission):
        raise CommandError(
            f"no post {safe_name(args.slug[:100])!r}: `latest` lists the posts with their slugs"
        )
    zone = app.settings.zone
    if args.platform == "telegram":
        call = telegram_render.render_transmission(view, zone).to_api()
        print_json(call) if args.json else print(call.get("text") or call.get("caption"))
    elif args.platform == "discord":
        # An embed has no plain form worth printing, so both forms show the JSON body.
        print_json(discord_render.render_transmission(view, zone).to_api())
    else:
        rendered = text_render.render_transmission(view, zone)
        print_json({"text": rendered}) if args.json else print(rendered)
    return 0
