"""Rendered Discord messages as discord.py objects: embeds, and page buttons that outlive restarts."""

from __future__ import annotations

import re
from typing import Any, Protocol, Self, cast

import discord

from bot.content.render.discord import CUSTOM_ID_LATEST, DiscordMessage

# The page travels in the custom_id, so any bot process can turn any page, even after a restart.
PAGE_TEMPLATE = re.compile(rf"{CUSTOM_ID_LATEST}:(?P<page>[0-9]{{1,6}})(?::(?:prev|next))?")
NO_MENTIONS = discord.AllowedMentions.none()


class PageTurner(Protocol):
    """What a page button needs from the bot: turn the message it sits on to another page."""

    async def turn_page(self, interaction: discord.Interaction[Any], page: int) -> None:
        """Show `page` in place of the message the pressed button sits on."""
        ...


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """A ◀ 1 2 3 ▶ button of a LATEST UPDATES message: `latest:N`, `latest:N:prev`, `latest:N:next`."""

    def __init__(self, custom_id: str, label: str = "", current: bool = False) -> None:
        match = PAGE_TEMPLATE.fullmatch(custom_id)
        if match is None:
            raise ValueError(f"not a page button: {custom_id!r}")
        style = discord.ButtonStyle.primary if current else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(label=label or match["page"], style=style, custom_id=custom_id))
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


def embeds_of(message: DiscordMessage) -> list[discord.Embed]:
    """Return the rendered embeds as discord.py embeds (the same JSON goes over the wire)."""
    return [discord.Embed.from_dict(dict(embed)) for embed in message.embeds]


def view_of(message: DiscordMessage) -> discord.ui.View | None:
    """Return the page buttons as a persistent view, or None when the message has none."""
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for label, custom_id, current in message.buttons:
        view.add_item(PageButton(custom_id, label, current))
    return view


def message_kwargs(message: DiscordMessage, editing: bool = False) -> dict[str, Any]:
    """Return the keyword arguments of a send or edit call for a rendered message, mentions off."""
    kwargs: dict[str, Any] = {"embeds": embeds_of(message), "allowed_mentions": NO_MENTIONS}
    view = view_of(message)
    if view is not None or editing:  # an edit to None removes old buttons; sends refuse None
        kwargs["view"] = view
    return kwargs
