"""A webhook destination's endpoint: its URL, body format and signing secret, and their checks.

The URL itself is a credential for Slack and Feishu (the token is its path), so it is shown only
as scheme and host, and destinations are known by a short hash of it (`chat_id_for`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.content.render.webhook import Format

NAME = "webhook"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # plain http only here (tests, a local relay)
MAX_URL = 2048
SECRET_LENGTHS = range(8, 257)


class EndpointError(ValueError):
    """A URL or secret the bot will not use; the message says why."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a webhook destination's bodies go, in which shape, signed with which secret."""

    url: str = field(repr=False)
    format: Format = "json"
    secret: str | None = field(default=None, repr=False)


def as_format(value: str | None) -> Format:
    """Read a stored format; json when none was stored."""
    if value == "slack":
        return "slack"
    if value == "feishu":
        return "feishu"
    return "json"


def check_url(url: str) -> str:
    """Return the URL to POST to, or raise EndpointError: https, or http to this machine only."""
    url = url.strip()
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise EndpointError("not a usable URL (too long, or spaces and control characters in it)")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise EndpointError("not a URL") from None
    local = parts.scheme == "http" and host in LOCAL_HOSTS
    if not host or not (parts.scheme == "https" or local):
        raise EndpointError("use an https:// URL (plain http:// only to 127.0.0.1 or localhost)")
    return url


def check_secret(secret: str) -> str:
    """Return a signing secret, or raise EndpointError: 8-256 visible characters."""
    if len(secret) not in SECRET_LENGTHS or not all(33 <= ord(c) <= 126 for c in secret):
        raise EndpointError("a secret is 8-256 visible ASCII characters, without spaces")
    return secret


def new_secret() -> str:
    """Make up a random secret for a json endpoint subscribed without one."""
    return secrets.token_urlsafe(32)


def chat_id_for(url: str) -> str:
    """Return a short stable id for a URL: what `status` and `destinations list` show instead."""
    return "url-" + hashlib.sha256(url.encode()).hexdigest()[:16]


def shown_url(url: str | None) -> str:
    """Return the URL as safe to show: scheme and host, never the path (Slack's and Feishu's token)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "(unreadable URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"
