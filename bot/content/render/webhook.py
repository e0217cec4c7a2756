"""Outgoing webhook bodies: a generic JSON event, a Slack incoming-webhook message, a Feishu/Lark post.

Pure: the sender signs and sends what these return. The chat formats put titles and excerpts in
plain-text fields, so no markup in a post can change how it shows (or ping anyone); Slack's
mrkdwn only ever carries a link whose label and URL are escaped here.
"""

from __future__ import annotations

import json
from datetime import UTC, tzinfo
from typing import Any, Literal

from bot.content.i18n import t
from bot.content.models import LatestPage, SearchResults, Transmission, View
from bot.content.render import text
from bot.content.render.common import (
    MAX_CATEGORY,
    MAX_EXCERPT,
    MAX_TITLE,
    budgets,
    clamp,
    clean,
    counted,
    format_date,
    is_blank,
    one_line,
    safe_url,
    search_page,
)

Format = Literal["json", "slack", "feishu"]
FORMATS: tuple[Format, ...] = ("json", "slack", "feishu")
Body = dict[str, Any]
VERSION = 1  # of the json shape: fields may be added within a version, never removed or changed
SLACK_HEADER = 150  # characters in a header block
SLACK_TEXT = 3000  # characters in a section block
SLACK_ITEMS = 20  # posts in one Slack list: two blocks each, within Slack's 50
SLACK_EXCERPT = 300
FEISHU_BYTES = 20 * 1024  # Feishu refuses a larger request body
FEISHU_ROOM = FEISHU_BYTES - 512  # what is left beside the timestamp and sign fields


def encode(body: Body) -> bytes:
    """Return the exact bytes sent and signed: compact UTF-8 JSON."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def render(view: View, fmt: Format, zone: tzinfo = UTC) -> Body:
    """Render a view as one webhook body in `fmt`."""
    if fmt == "slack":
        return render_slack(view, zone)
    if fmt == "feishu":
        return render_feishu(view, zone)
    return render_json(view)


def _as_page(view: View) -> View:
    return search_page(view) if isinstance(view, SearchResults) else view


def _first_number(page: LatestPage) -> int:
    return (page.page - 1) * page.per_page + 1


def _footer(page: LatestPage, shown: int) -> str:
    more = page.more + len(page.items) - shown
    if more:
        return t("more_posts_here", page.lang, more=more)  # webhooks have no /latest to point at
    if page.items:
        return t(
            "page_of", page.lang, page=page.page, pages=page.pages, total=counted(page.total, page.at_least)
        )
    return t("no_posts", page.lang)


def _meta(item: Transmission, zone: tzinfo) -> str:
    meta = f"{clamp(one_line(item.category), MAX_CATEGORY)} · {format_date(item.published_at, zone)}"
    return meta + (f" · {t('edited', item.lang)}" if item.edited else "")


# The generic shape ----------------------------------------------------------------------------


def post_fields(item: Transmission) -> Body:
    """Describe one post as the json format does."""
    return {
        "slug": item.slug,
        "title": one_line(item.title),
        "category": one_line(item.category),
        "date": item.published_at.astimezone(UTC).isoformat(),
        "excerpt": clean(item.excerpt),
        "url": safe_url(item.url),
        "image": safe_url(item.image),
        "lang": item.lang,
    }


def render_json(view: View) -> Body:
    """`post` or `edited` for a transmission, `digest` for a list of posts, `notice` otherwise."""
    view = _as_page(view)
    if isinstance(view, Transmission):
        event = "edited" if view.edited else "post"
        return {"event": event, "version": VERSION, "edited": view.edited, "post": post_fields(view)}
    if isinstance(view, LatestPage):
        return {
            "event": "digest",
            "version": VERSION,
            "heading": one_line(view.heading or t("latest", view.lang)),
            "lang": view.lang,
            "posts": [post_fields(item) for item in view.items],
            "total": view.total,
            "more": view.more,
        }
    return {"event": "notice", "version": VERSION, "text": text.render_view(view)}


def deleted(slug: str) -> Body:
    """Return the json event for a post removed from the blog (sent when DELETE_REMOVED is on)."""
    return {"event": "deleted", "version": VERSION, "post": {"slug": slug}}


# Slack ----------------------------------------------------------------------------------------


def _escape(value: str) -> str:
    """Escape the three characters Slack's mrkdwn gives a meaning to."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(value: str) -> Body:
    return {"type": "plain_text", "text": value, "emoji": False}


def _link(url: str, label: str) -> Body:
    # A "|" would end the URL part of a Slack link; percent-encoded it is the same URL.
    return {"type": "mrkdwn", "text": f"<{_escape(url).replace('|', '%7C')}|{_escape(label)}>"}


def slack_transmission(item: Transmission, zone: tzinfo = UTC) -> Body:
    """Render a post as Slack blocks: banner, title, excerpt, then category, date and link."""
    title = clamp(one_line(item.title), SLACK_HEADER) or "—"
    excerpt = clamp(clean(item.excerpt).strip(), min(MAX_EXCERPT, SLACK_TEXT))
    url = safe_url(item.url)
    blocks: list[Body] = [
        {"type": "context", "elements": [_plain(f"📡 {t('banner', item.lang)}")]},
        {"type": "header", "text": _plain(title)},
    ]
    if not is_blank(excerpt):
        blocks.append({"type": "section", "text": _plain(excerpt)})
    meta = [_plain(_meta(item, zone))] + ([_link(url, t("read_more", item.lang))] if url else [])
    blocks.append({"type": "context", "elements": meta})
    fallback = _escape(clamp(one_line(item.title), MAX_TITLE)) + (f" — {_escape(url)}" if url else "")
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def slack_page(page: LatestPage, zone: tzinfo = UTC) -> Body:
    """Render a list of posts as Slack blocks: heading, a section (and a link) per post, the footer."""
    heading = clamp(one_line(page.heading or t("latest", page.lang)), SLACK_HEADER) or "—"
    blocks: list[Body] = [{"type": "header", "text": _plain(heading)}]
    shown = page.items[:SLACK_ITEMS]
    for number, item in enumerate(shown, _first_number(page)):
        lines = [f"{number}. {clamp(one_line(item.title), MAX_TITLE)}", _meta(item, zone)]
        excerpt = clamp(one_line(item.excerpt), SLACK_EXCERPT, "...")
        lines += [excerpt] if excerpt else []
        blocks.append({"type": "section", "text": _plain("\n".join(lines))})
        url = safe_url(item.url)
        if url:
            blocks.append({"type": "context", "elements": [_link(url, t("read_more", page.lang))]})
    blocks.append({"type": "context", "elements": [_plain(_footer(page, len(shown)))]})
    return {"text": _escape(heading), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def render_slack(view: View, zone: tzinfo = UTC) -> Body:
    """Render any view as a Slack incoming-webhook message."""
    view = _as_page(view)
    if isinstance(view, Transmission):
        return slack_transmission(view, zone)
    if isinstance(view, LatestPage):
        return slack_page(view, zone)
    return {"text": _escape(clamp(text.render_view(view, zone), SLACK_TEXT))}


# Feishu / Lark --------------------------------------------------------------------------------


def _feishu_post(lang: str, title: str, lines: list[list[Body]]) -> Body:
    locale = "en_us" if lang == "en" else "zh_cn"
    return {"msg_type": "post", "content": {"post": {locale: {"title": title, "content": lines}}}}


def _text(value: str) -> Body:
    return {"tag": "text", "text": value}


def _anchor(label: str, url: str) -> Body:
    return {"tag": "a", "text": label, "href": url}


def feishu_transmission(item: Transmission, zone: tzinfo = UTC) -> Body:
    """Render a post as a Feishu rich-text message: the title, then banner, meta, excerpt and link lines."""
    lines = [[_text(f"📡 {t('banner', item.lang)}")], [_text(_meta(item, zone))]]
    excerpt = clamp(clean(item.excerpt).strip(), MAX_EXCERPT)
    if not is_blank(excerpt):
        lines.append([_text(excerpt)])
    url = safe_url(item.url)
    if url:
        lines.append([_anchor(t("read_more", item.lang), url)])
    return _feishu_post(item.lang, clamp(one_line(item.title), MAX_TITLE) or "—", lines)


def feishu_page(page: LatestPage, zone: tzinfo = UTC) -> Body:
    """Render a list of posts as one Feishu rich-text message, shortened to fit its 20 KB."""
    heading = clamp(one_line(page.heading or t("latest", page.lang)), MAX_TITLE) or "—"
    body: Body = {}
    for budget in budgets():
        lines: list[list[Body]] = []
        for number, item in enumerate(page.items, _first_number(page)):
            title = f"{number}. {clamp(one_line(item.title), budget.title) or '—'}"
            url = safe_url(item.url) if budget.links else None
            lines.append([_anchor(title, url)] if url else [_text(title)])
            lines.append([_text(_meta(item, zone))])
            if budget.excerpt:
                lines.append([_text(clamp(one_line(item.excerpt), budget.excerpt, "..."))])
        lines.append([_text(_footer(page, len(page.items)))])
        body = _feishu_post(page.lang, heading, lines)
        if len(encode(body)) <= FEISHU_ROOM:
            break
    return body


def render_feishu(view: View, zone: tzinfo = UTC) -> Body:
    """Render any view as a Feishu/Lark custom-bot message."""
    view = _as_page(view)
    if isinstance(view, Transmission):
        return feishu_transmission(view, zone)
    if isinstance(view, LatestPage):
        return feishu_page(view, zone)
    return {"msg_type": "text", "content": {"text": clamp(text.render_view(view, zone), 4000)}}
