"""A whole post rendered for chat: Telegram rich messages or HTML parts, Discord parts, plain text."""

from bot.content.full.classic import render_classic
from bot.content.full.document import Document, parse_document
from bot.content.full.markdown_parts import render_discord
from bot.content.full.plain import render_plain
from bot.content.full.rich import RichSize, measure_rich, render_rich

__all__ = [
    "Document",
    "RichSize",
    "measure_rich",
    "parse_document",
    "render_classic",
    "render_discord",
    "render_plain",
    "render_rich",
]
