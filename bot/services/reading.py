"""The shared chat commands: one command list, and the reading commands answered from the store.

latest, post, categories, search and help each take their argument text and return a view.
`Commands.run` dispatches a command line, the subscription commands to `bot.services.subscriptions`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.i18n import t
from bot.content.models import CategoryList, FullPost, Lang, LatestPage, Notice, SearchResults, View
from bot.content.search_query import parse_query
from bot.content.snippets import snippet
from bot.index.indexer import FIRST_SCAN_KEY
from bot.services.subscriptions import Chat, Subscriptions
from bot.store import meta, posts

__all__ = ["COMMANDS", "Chat", "CommandSpec", "Commands", "IndexProgress"]

# `/post <slug> full` (or 全文): the whole post instead of its card.
FULL_WORDS = frozenset({"full", "全文"})

SEARCH_PAGE_SIZE = 5  # results per page, as many as a page of /latest
# Past this many matches a search says "1000+" and pages no further: counting all 90,000 posts
# holding a common word costs more than the page, and nobody pages 200 pages deep.
SEARCH_COUNT_CAP = 1000


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command as every platform lists it: name, argument hint, help in both languages."""

    name: str
    args: str
    help_zh: str
    help_en: str

    def help(self, lang: Lang) -> str:
        """Return the one-line help in `lang`."""
        return self.help_zh if lang == "zh" else self.help_en


# The one command list: every platform registers exactly these, /help and the README show them.
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("latest", "[page]", "最新文章，分页浏览", "Latest updates, page by page"),
    CommandSpec(
        "post",
        "<slug> [full]",
        "查看一篇文章；加 full 在聊天里读全文",
        "Show one post; add full to read it whole",
    ),
    CommandSpec("categories", "", "所有分类", "List categories"),
    CommandSpec("search", "<words>", "搜索文章", "Search posts"),
    CommandSpec(
        "subscribe",
        "[category …] | digest <HH:MM|cron> [timezone]",
        "订阅本聊天（管理员）：可选分类，或定时摘要",
        "Subscribe this chat (admins): optional categories, or a scheduled digest",
    ),
    CommandSpec("unsubscribe", "", "取消订阅本聊天（管理员）", "Unsubscribe this chat (admins)"),
    CommandSpec(
        "settings",
        "[silent on|off] [language zh|en] [full on|off]",
        "查看或修改本聊天的订阅设置",
        "Show or change this chat's subscription",
    ),
    CommandSpec("help", "", "命令说明", "This help"),
)


class IndexProgress:
    """Whether the store was ever fully indexed, and how far the first index has got.

    Until the first index finishes, the store holds nothing (or a part): the read commands say
    "indexing, N so far" rather than "no posts yet".
    """

    def __init__(self) -> None:
        self.ready = False
        self.read = 0

    def progress(self, done: int, total: int) -> None:
        """Count files read (the indexer's progress callback)."""
        self.read = max(self.read, done)


class Commands:
    """Answer the shared commands from the store."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        page_size: int = 5,
        site_url: str = "",
        count_cap: int | None = SEARCH_COUNT_CAP,  # None: searches count every match
    ) -> None:
        self._sessions = sessions
        self._count_cap = count_cap
        self._site_url = site_url
        self._clock = clock
        self._page_size = page_size
        self.subscriptions = Subscriptions(sessions, clock)
        self.index = IndexProgress()
        self._readers: dict[str, Callable[[str, Lang], Awaitable[View | FullPost]]] = {
            "latest": self.latest,
            "post": self.post,
            "categories": self.categories,
            "search": self.search,
            "help": self.help,
        }
        self._managers: dict[str, Callable[[str, Chat], Awaitable[View]]] = {
            "subscribe": self.subscriptions.subscribe,
            "unsubscribe": self.subscriptions.unsubscribe,
            "settings": self.subscriptions.settings,
        }

    async def run(self, text: str, who: Chat | Lang) -> View | FullPost | None:
        """Answer a command line like `/latest 2`; None when the text is not a command.

        `who` is the chat it came from, or just a language for the read-only commands.
        """
        chat = who if isinstance(who, Chat) else Chat("console", "", lang=who)
        if not text.startswith("/"):
            return None
        name, _, args = text[1:].replace("\n", " ").partition(" ")
        name = name.split("@", 1)[0].lower()  # Telegram appends @botname in groups
        if name in self._readers:
            if name != "help" and (indexing := await self.indexing(chat.lang)) is not None:
                return indexing
            return await self._readers[name](args.strip(), chat.lang)
        if name in self._managers:
            return await self._managers[name](args.strip(), chat)
        return Notice(t("unknown_command", chat.lang, command=name[:32]), chat.lang, is_error=True)

    async def indexing(self, lang: Lang) -> Notice | None:
        """Return "indexing, N so far" until the store has been indexed once; then None."""
        if self.index.ready:
            return None
        async with self._sessions() as session:
            self.index.ready = await meta.get(session, FIRST_SCAN_KEY) is not None
        if self.index.ready:
            return None
        return Notice(t("indexing", lang, count=self.index.read), lang)

    async def latest(self, args: str, lang: Lang) -> View:
        """Show a LATEST UPDATES page; the argument is the page number (default 1)."""
        if args and not (args.isascii() and args.isdigit() and 0 < len(args) <= 6 and int(args) > 0):
            return Notice(t("bad_page", lang), lang, is_error=True)
        return await self.latest_page(int(args) if args else 1, lang)

    async def latest_page(self, page: int, lang: Lang) -> View:
        """Return page `page` of the latest updates, or a notice when it does not exist."""
        if (indexing := await self.indexing(lang)) is not None:
            return indexing
        now = self._clock.now()
        async with self._sessions() as session:
            total = await posts.count_published(session, now)
            pages = max(1, -(-total // self._page_size))
            if page > pages:
                return Notice(t("no_such_page", lang, page=page, pages=pages), lang, is_error=True)
            rows = await posts.latest(session, now, (page - 1) * self._page_size, self._page_size)
        items = tuple(posts.to_transmission(row) for row in rows)
        return LatestPage(items, page, pages, total, lang, per_page=self._page_size)

    async def post(self, args: str, lang: Lang) -> View | FullPost:
        """Show one post as a transmission, found by its slug (or a slug it used to have).

        `/post <slug> full` is the whole post, to read in the chat.
        """
        words = args.split()
        slug = words[0] if words else ""
        if not slug:
            return Notice(t("post_usage", lang), lang, is_error=True)
        whole = len(words) > 1 and words[1].lower() in FULL_WORDS
        if len(words) > 1 and not whole:
            return Notice(t("full_usage", lang), lang, is_error=True)
        async with self._sessions() as session:
            row = await posts.by_slug(session, slug, self._clock.now())
        if row is None:
            return Notice(t("no_such_post", lang, slug=slug[:100]), lang, is_error=True)
        return posts.to_full_post(row, self._site_url) if whole else posts.to_transmission(row)

    async def categories(self, args: str, lang: Lang) -> View:
        """List categories with their post counts."""
        async with self._sessions() as session:
            found = await posts.categories(session, self._clock.now())
        return CategoryList(tuple(found), lang)

    async def search(self, args: str, lang: Lang, page: int = 1) -> View:
        """Find posts matching every term, one page at a time: title hits first, then newest first.

        A query left with nothing to look for (`%`, `"`) finds nothing; it is not an error.
        """
        if not args.strip():
            return Notice(t("search_usage", lang), lang, is_error=True)
        if page < 1:
            return Notice(t("bad_page", lang), lang, is_error=True)
        query = parse_query(args)
        offset = (page - 1) * SEARCH_PAGE_SIZE
        async with self._sessions() as session:
            now = self._clock.now()
            rows, total = await posts.search(session, query, now, offset, SEARCH_PAGE_SIZE, self._count_cap)
        at_least = self._count_cap is not None and total > self._count_cap
        if self._count_cap is not None:
            total = min(total, self._count_cap)
        pages = max(1, -(-total // SEARCH_PAGE_SIZE))
        if page > pages:
            return Notice(t("no_such_page", lang, page=page, pages=pages), lang, is_error=True)
        look_for = query.highlights()
        return SearchResults(
            query.text or " ".join(args.split()),
            tuple(posts.to_transmission(row) for row in rows),
            total,
            lang,
            page=page,
            pages=pages,
            per_page=SEARCH_PAGE_SIZE,
            snippets=tuple(snippet(row.search_text, look_for) for row in rows),
            at_least=at_least,
        )

    async def help(self, args: str, lang: Lang) -> View:
        """List the commands."""
        lines = tuple(f"/{c.name} {c.args}".rstrip() + f" — {c.help(lang)}" for c in COMMANDS)
        return Notice(t("help_title", lang), lang, lines=lines)
