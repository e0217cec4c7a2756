"""POST each transmission, signed, to its destination's URL; map the answers to the engine's errors.

Signature: with a secret, every request carries `X-Signature-Timestamp: <unix seconds>` and
`X-Signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>`; the receiver checks
both and refuses old timestamps, so a captured request cannot be replayed later. A feishu body also
carries Feishu's own `timestamp` and `sign` fields.

Answers: 2xx sent (for feishu, its JSON `code` must be 0 too); 429 wait Retry-After (1 s if none);
408, 5xx, timeouts and connection errors retry with backoff; 401, 403, 404 and 410 disable the
destination; any other answer fails that one message. Webhooks cannot edit or delete what they
sent: the json format gets `edited` and `deleted` events, the chat formats show each post once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.broadcast.sender import BadMessage, DestinationGone, RetryAfter, RetryLater, SendError, Target
from bot.clock import Clock
from bot.content.models import FullPost, Transmission, View
from bot.content.render.common import one_line
from bot.content.render.webhook import deleted, encode, render
from bot.logs import redact
from bot.platforms.webhook.endpoints import NAME, Endpoint, EndpointError, check_url

SIGNATURE_HEADER = "X-Signature-256"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
USER_AGENT = "incoming-transmission-webhook/1"
TIMEOUT = 15.0
DEFAULT_WAIT = 1.0  # a 429 without Retry-After
ANSWER_BYTES = 4096  # read of an answer: enough for an error message or Feishu's code
GONE = frozenset({401, 403, 404, 410})  # refused for good: disable, as a blocked bot's chat is
FEISHU_LIMITED = 11232  # Feishu's "frequency limited": 100 a minute, 5 a second per bot
FEISHU_WAIT = 10.0
FEISHU_REFUSED = frozenset({19021, 19022})  # signature or timestamp refused; our IP not allowed
Lookup = Callable[[str], Awaitable[Endpoint | None]]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the X-Signature-256 value: HMAC-SHA256 of "<timestamp>." and then the raw body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def feishu_sign(secret: str, timestamp: int) -> str:
    """Return Feishu's custom-bot `sign`: base64 HMAC-SHA256 of nothing, keyed "<timestamp>LF<secret>"."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def retry_after(value: str | None, now: datetime) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); 1 s if missing or unreadable."""
    if not value:
        return DEFAULT_WAIT
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_WAIT
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def classify(status: int, answer: str, wait: float) -> SendError | None:
    """Map an HTTP answer to the engine's errors; None when the body was accepted."""
    if 200 <= status < 300:
        return None
    reason = f"HTTP {status}" + (f": {answer}" if answer else "")
    if status == 429:
        return RetryAfter(wait)
    if status == 408 or status >= 500:
        return RetryLater(reason)
    if status in GONE:
        return DestinationGone(reason)
    return BadMessage(reason)  # redirects too: subscribe the URL they point to


def classify_feishu(answer: str) -> SendError | None:
    """Feishu answers 200 with a JSON `code`: 0 is success, anything else a refusal."""
    try:
        data = json.loads(answer)
    except ValueError:
        return None  # not Feishu's JSON: the status said it was accepted
    if not isinstance(data, dict):
        return None
    code = data.get("code", data.get("StatusCode", 0))
    if not code:
        return None
    reason = f"Feishu code {code}: {one_line(str(data.get('msg', data.get('StatusMessage', ''))))[:200]}"
    if code == FEISHU_LIMITED:
        return RetryAfter(FEISHU_WAIT)
    if code in FEISHU_REFUSED:
        return DestinationGone(reason)
    return BadMessage(reason)


class WebhookSender:
    """The engine's `Sender` for webhooks: one aiohttp session, an endpoint looked up per send."""

    name = NAME

    def __init__(self, lookup: Lookup, clock: Clock, zone: tzinfo = UTC, timeout: float = TIMEOUT) -> None:
        self._lookup = lookup
        self._clock = clock
        self._zone = zone
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._redacted: set[str] = set()

    async def start(self) -> None:
        """Open the HTTP session (inside the running loop)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout), headers={"User-Agent": USER_AGENT}
            )

    async def stop(self) -> None:
        """Close the HTTP session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> WebhookSender:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def send(self, target: Target, view: View | FullPost) -> list[str]:
        """POST the view; a post's message id is its slug, which a later `deleted` event names."""
        if isinstance(view, FullPost):
            raise BadMessage("webhooks carry transmissions, not whole posts")
        endpoint = await self._endpoint(target)
        await self._post(endpoint, render(view, endpoint.format, self._zone))
        return [view.slug] if isinstance(view, Transmission) else []

    async def edit(self, target: Target, message_ids: list[str], view: View | FullPost) -> None:
        """Send an `edited` event to a json endpoint; a chat already showed the post and stays quiet."""
        if isinstance(view, FullPost):
            raise BadMessage("webhooks carry transmissions, not whole posts")
        endpoint = await self._endpoint(target)
        if endpoint.format == "json":
            edited = replace(view, edited=True) if isinstance(view, Transmission) else view
            await self._post(endpoint, render(edited, "json", self._zone))

    async def delete(self, target: Target, message_ids: list[str]) -> None:
        """Send a `deleted` event per post to a json endpoint; a chat's messages stay as they are."""
        endpoint = await self._endpoint(target)
        if endpoint.format == "json":
            for slug in message_ids:
                await self._post(endpoint, deleted(slug))

    async def _endpoint(self, target: Target) -> Endpoint:
        endpoint = await self._lookup(target.chat_id)
        if endpoint is None:
            raise DestinationGone("no URL is stored for this webhook: add it again with --url")
        try:
            check_url(endpoint.url)
        except EndpointError as exc:
            raise DestinationGone(f"the stored URL is refused: {exc}") from None
        fresh = {s for s in (endpoint.url, endpoint.secret) if s and s not in self._redacted}
        if fresh:  # whatever a library logs, the log never shows them
            self._redacted |= fresh
            redact(*fresh)
        return endpoint

    async def _post(self, endpoint: Endpoint, body: dict[str, Any]) -> None:
        if self._session is None:
            raise RetryLater("the webhook sender is not started")
        stamp = int(self._clock.now().timestamp())
        if endpoint.format == "feishu" and endpoint.secret:
            body = {"timestamp": str(stamp), "sign": feishu_sign(endpoint.secret, stamp), **body}
        raw = encode(body)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if endpoint.secret:
            headers[TIMESTAMP_HEADER] = str(stamp)
            headers[SIGNATURE_HEADER] = signature(endpoint.secret, stamp, raw)
        try:
            async with self._session.post(
                endpoint.url, data=raw, headers=headers, allow_redirects=False
            ) as response:
                answer = (await response.content.read(ANSWER_BYTES)).decode("utf-8", "replace")
                status, wait = response.status, response.headers.get("Retry-After")
        except TimeoutError:
            raise RetryLater(f"no answer within {self._timeout:g}s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise RetryLater(_hidden(f"{type(exc).__name__}: {exc}", endpoint)) from None
        shown = _hidden(one_line(answer), endpoint)[:200]
        error = classify(status, shown, retry_after(wait, self._clock.now()))
        if error is None and endpoint.format == "feishu":
            error = classify_feishu(_hidden(answer, endpoint))
        if error is not None:
            raise error


def _hidden(text: str, endpoint: Endpoint) -> str:
    """Blank out the URL, its path and query, and the secret in a reason that `status` shows."""
    parts = urlsplit(endpoint.url)
    path = parts.path if len(parts.path) > 1 else None
    hide = ((endpoint.url, "<url>"), (endpoint.secret, "***"), (path, "/…"), (parts.query, "…"))
    for value, mark in hide:
        if value:
            text = text.replace(value, mark)
    return text
