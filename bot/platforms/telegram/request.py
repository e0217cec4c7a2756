"""PTB's request interface over aiohttp: the Bot API calls of a broadcast at 1,000+ a second.

PTB's own `HTTPXRequest` tops out at 300-500 requests/s on one core: httpcore's pool rescans every
connection (a poll and a getpeername each) whenever a request starts or ends, so its cost per
request grows with the connections in flight (bench/http_bench.py has the figures). This class
sends the same calls through one aiohttp session with keep-alive connections (a JSON body, or
multipart for uploads as PTB builds them) and raises the same PTB errors, so PTB stays the client.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_BODY = {"Content-Type": "application/json"}
KEEPALIVE_S = 30.0  # Telegram keeps idle connections about this long; reuse saves a handshake


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` on one `aiohttp.ClientSession`; timeouts as `HTTPXRequest`'s."""

    __slots__ = ("_connections", "_keepalive", "_proxies", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        keepalive: float = KEEPALIVE_S,
    ) -> None:
        self._connections = connection_pool_size
        self._keepalive = keepalive
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # origin -> proxy URL from the environment

    @property
    def connection_pool_size(self) -> int:
        """The most connections open at once (more concurrent calls wait for one)."""
        return self._connections

    @property
    def read_timeout(self) -> float | None:
        """See `BaseRequest.read_timeout`."""
        return self._timeouts[0]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connections, limit_per_host=0, keepalive_timeout=self._keepalive
            )
            # Not trust_env: that looks up .netrc and the proxy in a thread on every call (two
            # thread hops per send); `_proxy` reads the environment once per origin instead.
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )
            self._proxies.clear()

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`: one call, its status and body; PTB errors on failure."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        kwargs: dict[str, Any] = {"timeout": timeout, "proxy": self._proxy(url)}
        if files and request_data is not None:
            kwargs["data"] = _multipart(request_data)
        elif request_data is not None:
            # One JSON body (the Bot API takes it for every call without a file): a third of the
            # work of form-encoding PTB's per-parameter JSON strings, here and at the server.
            kwargs["data"] = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            kwargs["headers"] = JSON_BODY
        try:
            async with session.request(method, url, **kwargs) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy(self, url: str) -> str | None:
        """HTTP(S)_PROXY for this URL unless NO_PROXY exempts its host (as httpx reads them)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            host = parts.hostname or ""
            proxy = None if host and proxy_bypass(host) else getproxies().get(parts.scheme)
            self._proxies[origin] = proxy
        return self._proxies[origin]

    def _timeout(
        self, read: ODVInput[float], connect: ODVInput[float], pool: ODVInput[float]
    ) -> aiohttp.ClientTimeout:
        """Resolve PTB's per-call timeouts against ours; aiohttp waits for a free connection in `connect`.

        aiohttp has no write timeout: a slow upload is bounded by `sock_read` once it is sent.
        """
        default_read, _, default_connect, default_pool = self._timeouts
        read_s = default_read if isinstance(read, DefaultValue) else read
        connect_s = default_connect if isinstance(connect, DefaultValue) else connect
        pool_s = default_pool if isinstance(pool, DefaultValue) else pool
        waiting = None if connect_s is None or pool_s is None else connect_s + pool_s
        return aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect_s, sock_read=read_s)


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """Parameters and files as multipart/form-data, as httpx builds it for `HTTPXRequest`."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
