"""Rendered Discord messages as discord.py objects: embeds, and components that outlive restarts.

Every component is a `DynamicItem`: what a press needs travels in its custom_id (a page, a post id,
a search query), so any bot process answers any message, even one sent before a restart.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

from bot.content.render.discord import (
    CUSTOM_ID_LATEST,
    CUSTOM_ID_OPEN,
    CUSTOM_ID_READ,
    CUSTOM_ID_SEARCH,
    DiscordMessage,
    Menu,
)

PAGE_TEMPLATE = re.compile(rf"{CUSTOM_ID_LATEST}:(?P<page>[0-9]{{1,6}})(?::(?:prev|next))?")
READ_TEMPLATE = re.compile(rf"{CUSTOM_ID_READ}:(?P<post>[0-9]{{1,19}})")
OPEN_TEMPLATE = re.compile(rf"{CUSTOM_ID_OPEN}:(?P<key>[^\s]{{1,95}})")
# search:<page>[p|n]:<query> — the query may hold any character, a colon included.
SEARCH_TEMPLATE = re.compile(rf"{CUSTOM_ID_SEARCH}:(?P<page>[0-9]{{1,6}})[pn]?:(?P<query>.+)", re.DOTALL)
NO_MENTIONS = discord.AllowedMentions.none()
MENU_ROW, PAGE_ROW, ACTION_ROW = 0, 1, 2


class PageTurner(Protocol):
    """What a page button needs from the bot: turn the message it sits on to another page."""

    async def turn_page(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Show `page` in place of the message the pressed button sits on."""
        ...


class Reader(Protocol):
    """What the reading components need from the bot: read, open, turn a search page."""

    async def read(self, interaction: discord.Interaction[Any], post_id: int) -> None:
        """Deliver the whole post: in a thread on the message, or privately."""
        ...

    async def open_card(self, interaction: discord.Interaction[Any], post_id: int) -> None:
        """Answer privately with the post's card (and its Read button)."""
        ...

    async def turn_search(self, interaction: discord.Interaction[Any], page: int, wanted: str) -> None:
        """Show search results page `page` in place; `wanted` is the query or `#key`."""
        ...


def _reader(interaction: discord.Interaction[Any]) -> Reader | None:
    return cast(Reader | None, getattr(interaction.client, "reader", None))


def _style(current: bool) -> discord.ButtonStyle:
    return discord.ButtonStyle.primary if current else discord.ButtonStyle.secondary


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """A ◀ 1 2 3 ▶ button of a LATEST UPDATES message: `latest:N`, `latest:N:prev`, `latest:N:next`."""

    def __init__(self, custom_id: str, label: str = "", current: bool = False) -> None:
        match = PAGE_TEMPLATE.fullmatch(custom_id)
        if match is None:
            raise ValueError(f"not a page button: {custom_id!r}")
        super().__init__(
            discord.ui.Button(label=label or match["page"], style=_style(current), custom_id=custom_id)
        )
        self.page = int(match["page"])

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the pressed button from the message, whichever process sent it."""
        button = cast(discord.ui.Button[Any], item)
        return cls(match.string, button.label or "", button.style == discord.ButtonStyle.primary)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Turn the page in place, through the client's page turner."""
        turner: PageTurner | None = getattr(interaction.client, "page_turner", None)
        if turner is not None:
            await turner.turn_page(interaction, self.page)


class SearchButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=SEARCH_TEMPLATE):
    """A ◀ 1 2 3 ▶ button of a search results message: the page and the query (or its key)."""

    def __init__(self, custom_id: str, label: str = "", current: bool = False) -> None:
        match = SEARCH_TEMPLATE.fullmatch(custom_id)
        if match is None:
            raise ValueError(f"not a search button: {custom_id!r}")
        super().__init__(
            discord.ui.Button(label=label or match["page"], style=_style(current), custom_id=custom_id)
        )
        self.page, self.wanted = int(match["page"]), match["query"]

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the pressed button from the message."""
        button = cast(discord.ui.Button[Any], item)
        return cls(match.string, button.label or "", button.style == discord.ButtonStyle.primary)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Turn the search page in place."""
        reader = _reader(interaction)
        if reader is not None:
            await reader.turn_search(interaction, self.page, self.wanted)


class ReadButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=READ_TEMPLATE):
    """The "📖 Read" button of a post's card: `read:<post id>`."""

    def __init__(self, custom_id: str, label: str = "📖") -> None:
        match = READ_TEMPLATE.fullmatch(custom_id)
        if match is None:
            raise ValueError(f"not a read button: {custom_id!r}")
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id
        )
        super().__init__(button, row=ACTION_ROW)
        self.post_id = int(match["post"])

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the pressed button from the message."""
        return cls(match.string, cast(discord.ui.Button[Any], item).label or "📖")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Deliver the whole post."""
        reader = _reader(interaction)
        if reader is not None:
            await reader.read(interaction, self.post_id)


class OpenMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=OPEN_TEMPLATE):
    """The select menu under a list of posts: each option's value is a post id."""

    def __init__(self, select: discord.ui.Select[Any]) -> None:
        super().__init__(select, row=MENU_ROW)

    @classmethod
    def of(cls, menu: Menu) -> OpenMenu:
        """Build the menu from its rendering."""
        options = [
            discord.SelectOption(label=label, value=value, description=about or None)
            for label, value, about in menu.options
        ]
        return cls(discord.ui.Select(custom_id=menu.custom_id, placeholder=menu.placeholder, options=options))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Take the menu as the message carries it (the chosen value arrives with the interaction)."""
        return cls(cast(discord.ui.Select[Any], item))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Open the chosen post's card."""
        chosen = self.item.values[0] if self.item.values else ""
        reader = _reader(interaction)
        if reader is not None and chosen.isascii() and chosen.isdigit():
            await reader.open_card(interaction, int(chosen))


DYNAMIC_ITEMS = (PageButton, SearchButton, ReadButton, OpenMenu)


def embeds_of(message: DiscordMessage) -> list[discord.Embed]:
    """Return the rendered embeds as discord.py embeds (the same JSON goes over the wire)."""
    return [discord.Embed.from_dict(dict(embed)) for embed in message.embeds]


def view_of(message: DiscordMessage) -> discord.ui.View | None:
    """Return the components as a persistent view, or None when the message has none."""
    if not (message.buttons or message.menu or message.actions):
        return None
    view = discord.ui.View(timeout=None)
    if message.menu is not None:
        view.add_item(OpenMenu.of(message.menu))
    for label, custom_id, current in message.buttons:
        kind = SearchButton if custom_id.startswith(f"{CUSTOM_ID_SEARCH}:") else PageButton
        button = kind(custom_id, label, current)
        button.row = PAGE_ROW
        view.add_item(button)
    for label, custom_id in message.actions:
        view.add_item(ReadButton(custom_id, label))
    return view


def message_kwargs(message: DiscordMessage, editing: bool = False) -> dict[str, Any]:
    """Return the keyword arguments of a send or edit call for a rendered message, mentions off."""
    kwargs: dict[str, Any] = {"embeds": embeds_of(message), "allowed_mentions": NO_MENTIONS}
    view = view_of(message)
    if view is not None or editing:  # an edit to None removes old buttons; sends refuse None
        kwargs["view"] = view
    return kwargs
