"""The composition root: one place builds every part of the bot from `Settings`.

`bot.cycle` runs the scan/publish cycle on what is built here, `bot.runner` runs the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.broadcast import outbox
from bot.broadcast.dispatcher import Dispatcher, EngineSettings
from bot.broadcast.pacing import Limits, Pacer
from bot.broadcast.sender import Sender
from bot.clock import Clock, SystemClock
from bot.content.post_file import PostDefaults
from bot.cycle import PublishCycle
from bot.index.indexer import Indexer, Progress, ScanReport
from bot.index.parser_pool import ParserPool, PoolLimits, default_workers
from bot.platforms import registry
from bot.platforms.console.platform import CONSOLE_CHAT_ID
from bot.scheduler import Jobs
from bot.services.bundle import Services
from bot.services.reading import Commands
from bot.services.subscriptions import Chat
from bot.settings import Settings
from bot.store.database import create_engine, session_factory, upgrade


@dataclass
class App:
    """Everything the bot is made of, wired together."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    indexer: Indexer
    commands: Commands
    dispatchers: dict[str, Dispatcher] = field(default_factory=dict)
    jobs: Jobs | None = None
    cycle: PublishCycle = field(init=False)
    services: Services = field(init=False)

    def __post_init__(self) -> None:
        self.cycle = PublishCycle(self)
        self.services = Services.build(self.sessions, self.clock, self.wake, self.settings.site_url)

    async def close(self) -> None:
        """Stop the parser processes and release the database connections."""
        self.indexer.close()
        await self.engine.dispose()

    async def prepare(self) -> None:
        """Bring the database schema up to date."""
        await upgrade(self.engine)

    def add_platform(
        self,
        sender: Sender,
        limits: Limits | None = None,
        pacer: Pacer | None = None,
        engine: EngineSettings | None = None,
    ) -> Dispatcher:
        """Register a platform's sender and the dispatcher that paces its sends.

        Pass the `pacer` its command replies use, so replies and transmissions share the limits;
        `engine` replaces the knobs taken from the settings (tests shorten the retry backoff).
        """
        dispatcher = Dispatcher(
            self.sessions,
            sender,
            pacer or Pacer(limits or self.limits_for(sender.name)),
            self.clock,
            engine
            or EngineSettings(
                concurrency=self.settings.concurrency_for(sender.name),
                lang=self.settings.language,
                site_url=self.settings.site_url,
            ),
        )
        self.dispatchers[sender.name] = dispatcher
        return dispatcher

    def limits_for(self, name: str) -> Limits:
        """Return the configured limits of a platform (defaults from the platforms' own docs)."""
        return registry.spec_for(name).limits(self.settings)

    async def scan(self, progress: Progress | None = None, *, rederive: bool = False) -> ScanReport:
        """Index posts/ now; `rederive` derives every stored post again from its file."""
        return await self.indexer.scan(progress, rederive=rederive)

    async def announce(self) -> outbox.AnnounceReport:
        """Queue deliveries for new posts, edits for changed ones, deletes for removed ones."""
        return await self.cycle.announce()

    async def tick(self) -> ScanReport:
        """Run one scan/publish cycle (see `bot.cycle`)."""
        return await self.cycle.tick()

    async def check_digests(self) -> int:
        """Queue the digests that are due."""
        return await self.cycle.check_digests()

    def wake(self) -> None:
        """Tell every dispatcher that new deliveries are queued."""
        self.cycle.wake()

    async def drain(self) -> int:
        """Send everything that may go now on every platform (tests and one-shot use)."""
        return sum([await dispatcher.drain() for dispatcher in self.dispatchers.values()])


def build_app(settings: Settings, clock: Clock | None = None) -> App:
    """Build the object graph from settings; nothing connects until it is used."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    defaults = PostDefaults(
        timezone=settings.zone,
        site_url=settings.site_url,
        max_bytes=settings.max_post_bytes,
        excerpt_chars=settings.excerpt_chars,
        permalink=settings.permalink,
        include=settings.include_globs,
        exclude=settings.exclude_globs,
    )
    limits = PoolLimits(
        workers=default_workers(), timeout=settings.parse_timeout, memory_mb=settings.parser_memory_mb
    )
    return App(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=sessions,
        indexer=Indexer(sessions, settings.posts_dir, defaults, clock, ParserPool(limits)),
        commands=Commands(sessions, clock, settings.page_size, settings.site_url),
    )


async def ensure_console_destination(app: App) -> None:
    """Subscribe the terminal, so that the console platform shows new transmissions."""
    await app.commands.subscriptions.ensure(Chat("console", CONSOLE_CHAT_ID, title="terminal"))
