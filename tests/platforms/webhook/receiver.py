"""A webhook receiver on 127.0.0.1 that checks signatures as the README tells receivers to.

Each path is one subscribed URL. A path given a secret refuses (401) a request whose signature
or timestamp is wrong, as a real receiver would; a Feishu path checks Feishu's `sign` field
instead. Answers can be queued per path: 429 with Retry-After, 5xx, 404, anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.clock import Clock

MAX_AGE = 300  # seconds a signed timestamp stays acceptable


@dataclass
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    verified: bool | None  # None: the path has no secret to check with


def valid_signature(secret: str, raw: bytes, timestamp: str, signature: str, now: float) -> bool:
    """The check the README shows, with the time passed in."""
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, signature) and abs(now - int(timestamp)) < MAX_AGE


def valid_feishu_sign(secret: str, body: dict[str, Any], now: float) -> bool:
    """Feishu's own check: `sign` from `timestamp` and the secret, within an hour."""
    timestamp = str(body.get("timestamp", "0"))
    key = f"{timestamp}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, str(body.get("sign", ""))) and abs(now - int(timestamp)) < 3600


class Receiver:
    """Listen on a free port; record every POST; answer 200 unless told otherwise."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.received: list[Received] = []
        self._secrets: dict[str, tuple[str, bool]] = {}
        self._answers: dict[str, deque[tuple[int, dict[str, str], str]]] = {}

    def url(self, path: str) -> str:
        """The URL of one receiving path."""
        return f"http://127.0.0.1:{self.port}/{path}"

    def check(self, path: str, secret: str, feishu: bool = False) -> None:
        """Refuse requests to `path` that are not signed with `secret` (Feishu's way if `feishu`)."""
        self._secrets[path] = (secret, feishu)

    def answer(self, path: str, status: int, body: str = "", times: int = 1, **headers: str) -> None:
        """Answer the next `times` requests to `path` with `status` (e.g. Retry_After="7")."""
        shown = {name.replace("_", "-"): value for name, value in headers.items()}
        self._answers.setdefault(path, deque()).extend([(status, shown, body)] * times)

    def on(self, path: str) -> list[Received]:
        """The requests that reached `path`."""
        return [r for r in self.received if r.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        raw = await request.read()
        body = json.loads(raw)
        now = self._clock.now().timestamp()
        verified = None
        if path in self._secrets:
            secret, feishu = self._secrets[path]
            if feishu:
                verified = valid_feishu_sign(secret, body, now)
            else:
                stamp, signature = (
                    request.headers.get("X-Signature-Timestamp"),
                    request.headers.get("X-Signature-256"),
                )
                verified = bool(stamp and signature) and valid_signature(
                    secret, raw, str(stamp), str(signature), now
                )
        self.received.append(Received(path, dict(request.headers), raw, body, verified))
        queued = self._answers.get(path)
        if queued:
            status, headers, text = queued.popleft()
            return web.Response(status=status, headers=headers, text=text)
        if verified is False and self._secrets[path][1]:  # Feishu says so in its JSON, with a 200
            return web.json_response(
                {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
            )
        if verified is False:
            return web.Response(status=401, text="bad signature")
        return web.json_response({"code": 0, "msg": "success"})

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{path}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
