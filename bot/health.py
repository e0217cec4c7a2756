"""The operations port: /healthz for orchestrators, /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import DISABLED_DESTINATIONS, QUEUE_DEPTH, REGISTRY
from bot.store.models import Delivery, Destination
from bot.store.states import DeliveryStatus

log = logging.getLogger(__name__)
DATABASE_TIMEOUT = 3.0


class HealthServer:
    """Serve /healthz and /metrics; `state` says 'leader', 'standby' or 'starting'."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        state: Callable[[], str],
        scheduler_running: Callable[[], bool],
        host: str = "0.0.0.0",
        port: int = 8080,
        problems: Callable[[], list[str]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._problems = problems or list
        self._state = state
        self._scheduler_running = scheduler_running
        self._host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on the configured port (0 picks a free one, see `.port`)."""
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        if self.port == 0 and server is not None and server.sockets:
            self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def healthz(self, request: web.Request) -> web.Response:
        """200 when the database answers and, on the leader, the scheduler runs; else 503."""
        state = self._state()
        problems = []
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self._sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # any database failure makes us unhealthy; say which
            problems.append(f"database: {type(exc).__name__}")
        if state == "leader" and not self._scheduler_running():
            problems.append("scheduler is not running")
        if state == "starting":
            problems.append("starting")
        problems += self._problems()
        body = {"status": "ok" if not problems else "unhealthy", "role": state, "problems": problems}
        return web.json_response(body, status=503 if problems else 200)

    async def metrics(self, request: web.Request) -> web.Response:
        """Refresh the gauges that live in the database, then expose every metric."""
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), self._sessions() as session:
                await refresh_gauges(session)
        except Exception as exc:
            log.warning("metrics: could not read the queue: %s", exc)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def refresh_gauges(session: AsyncSession) -> None:
    """Set queue depth and disabled destinations per platform from the store."""
    queue = (
        select(Destination.platform, func.count())
        .join(Delivery, Delivery.destination_id == Destination.id)
        .where(Delivery.status.in_(DeliveryStatus.queued()))
        .group_by(Destination.platform)
    )
    depth: dict[str, int] = {platform: count for platform, count in await session.execute(queue)}
    disabled_query = (
        select(Destination.platform, func.count())
        .where(Destination.active.is_(False))
        .group_by(Destination.platform)
    )
    disabled: dict[str, int] = {platform: count for platform, count in await session.execute(disabled_query)}
    platforms = set((await session.execute(select(Destination.platform).distinct())).scalars())
    for platform in platforms | set(depth) | set(disabled):
        QUEUE_DEPTH.labels(platform).set(depth.get(platform, 0))
        DISABLED_DESTINATIONS.labels(platform).set(disabled.get(platform, 0))
