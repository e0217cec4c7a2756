"""The command line's arguments: one sub-command per operator task."""

from __future__ import annotations

import argparse
import json
from typing import NoReturn

from bot.content.render.webhook import FORMATS
from bot.platforms import registry
from bot.store.destinations import KINDS


class _JSONErrorParser(argparse.ArgumentParser):
    """Report a bad command line as JSON, for callers that asked for --json."""

    def error(self, message: str) -> NoReturn:
        print(json.dumps({"error": f"{self.prog}: {message}"}, ensure_ascii=False))
        self.exit(2)


DESCRIPTION = "Incoming Transmission: index a blog's posts and broadcast them to chats."


def build_parser(json_errors: bool = False) -> argparse.ArgumentParser:
    """Build the argument parser; `json_errors` reports a bad command line as JSON."""
    kind = _JSONErrorParser if json_errors else argparse.ArgumentParser
    parser = kind(prog="python -m bot", description=DESCRIPTION)
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
