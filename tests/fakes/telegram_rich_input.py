"""Judge an InputRichMessage (the ``rich_message`` of sendRichMessage and editMessageText) for the fake.

Exactly one of html, markdown and blocks: html goes through the Rich HTML validator in telegram_rich;
markdown and blocks are only refused structurally (the fake parses neither), with the limits it can see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_rich import (
    EMPTY,
    MAX_BLOCKS,
    MAX_DEPTH,
    MAX_MEDIA,
    MAX_TEXT_CHARS,
    TOO_DEEP,
    TOO_LONG,
    TOO_MANY_BLOCKS,
    TOO_MANY_MEDIA,
    RichBlock,
    RichMessageError,
    check_rich_html,
)

# RichBlock types of Bot API 10.1-10.3; anything else in "blocks" is refused.
BLOCK_TYPES = frozenset(
    {"paragraph", "section_heading", "preformatted", "footer", "divider", "mathematical_expression",
     "anchor", "list", "block_quotation", "pull_quotation", "collage", "slideshow", "table", "details",
     "map", "animation", "audio", "photo", "video", "voice_note", "thinking", "buttons",
     "expandable_block_quotation", "document"}
)  # fmt: skip
_TEXT_KEYS = ("text", "expression", "summary", "credit", "blocks", "items", "cells")


@dataclass(frozen=True)
class CheckedRich:
    """A valid InputRichMessage: its form, its source as sent, and the plain text and outline made of it."""

    form: str  # "html", "markdown" or "blocks"
    source: str  # the html or markdown string; blocks as canonical JSON
    text: str
    outline: tuple[RichBlock, ...] = ()
    message: dict[str, Any] = field(default_factory=dict)  # the InputRichMessage as received


def _decode(value: object) -> dict[str, Any]:
    """PTB sends the object JSON-encoded in a form field; a JSON body carries it as an object."""
    if value is None or value == "":
        raise RichMessageError(EMPTY)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise RichMessageError("Bad Request: can't parse rich message JSON object") from None
    if not isinstance(value, dict):
        raise RichMessageError("Bad Request: can't parse rich message JSON object")
    return value


def _wrong(name: str, kind: str) -> RichMessageError:
    return RichMessageError(f'Bad Request: field "{name}" must be of type {kind}')


def _block_text(node: object, depth: int) -> str:
    """Plain text of explicit blocks: strings under the text-bearing keys, blocks on their own lines."""
    if depth > 2 * MAX_DEPTH:  # a block and its rich text each add a level of JSON
        raise RichMessageError(TOO_DEEP)
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(_block_text(item, depth + 1) for item in node)
    if isinstance(node, dict):
        parts = (_block_text(node[key], depth + 1) for key in _TEXT_KEYS if key in node)
        return "\n".join(part for part in parts if part)
    return ""


def _check_blocks(blocks: object) -> CheckedRich:
    if not isinstance(blocks, list):
        raise _wrong("blocks", "Array of InputRichBlock")
    if not blocks:
        raise RichMessageError(EMPTY)
    outline = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            raise RichMessageError(f'Bad Request: unsupported rich block type "{kind}"')
        outline.append(RichBlock(str(kind), _block_text(block, 1).strip()))
    if len(outline) > MAX_BLOCKS:
        raise RichMessageError(TOO_MANY_BLOCKS)
    text = "\n".join(block.text for block in outline if block.text)
    if len(text) > MAX_TEXT_CHARS:
        raise RichMessageError(TOO_LONG)
    source = json.dumps(blocks, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return CheckedRich("blocks", source, text, tuple(outline))


def _check_form(form: str, body: object) -> CheckedRich:
    if form == "blocks":
        return _check_blocks(body)
    if not isinstance(body, str):
        raise _wrong(form, "String")
    if form == "markdown":  # only refused structurally: the fake does not parse rich Markdown
        if not body.strip():
            raise RichMessageError(EMPTY)
        if len(body) > MAX_TEXT_CHARS:
            raise RichMessageError(TOO_LONG)
        return CheckedRich("markdown", body, body.strip())
    parsed = check_rich_html(body)
    return CheckedRich("html", body, parsed.text, parsed.outline)


def check_input_rich_message(value: object) -> CheckedRich:
    """Validate an InputRichMessage (an object or its JSON text) as sendRichMessage would."""
    message = _decode(value)
    forms = [key for key in ("html", "markdown", "blocks") if message.get(key) is not None]
    if len(forms) != 1:
        raise RichMessageError("Bad Request: exactly one of html, markdown and blocks must be specified")
    for flag in ("is_rtl", "skip_entity_detection"):
        if not isinstance(message.get(flag, False), bool):
            raise _wrong(flag, "Boolean")
    media = message.get("media", [])
    if not isinstance(media, list) or not all(isinstance(item, dict) for item in media):
        raise _wrong("media", "Array of InputRichMessageMedia")
    if len(media) > MAX_MEDIA:
        raise RichMessageError(TOO_MANY_MEDIA)
    checked = _check_form(forms[0], message[forms[0]])
    return CheckedRich(checked.form, checked.source, checked.text, checked.outline, message)
