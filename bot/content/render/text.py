"""Plain-text rendering for the console platform: the home page, in a terminal.

Every listed post shows the `/post <slug>` that opens it, so it can be typed right away.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from bot.content.full import render_plain
from bot.content.i18n import t
from bot.content.models import CategoryList, FullPost, LatestPage, SearchResults, Transmission, View
from bot.content.render.common import clean, counted, format_date, one_line, open_command, page_window

RULE = "─" * 48


def render_transmission(item: Transmission, zone: tzinfo = UTC) -> str:
    """Render one post as an INCOMING TRANSMISSION card."""
    lines = [
        f"╔═ 📡 {t('banner', item.lang)} ═╗",
        one_line(item.title),
        f"{one_line(item.category)} · {format_date(item.published_at, zone)}"
        + (f" · {t('edited', item.lang)}" if item.edited else ""),
        clean(item.excerpt),
    ]
    if item.url:
        lines.append(f"{t('read_more', item.lang)} {one_line(item.url)}")
    else:
        lines.append(t("open_in_chat", item.lang) + open_command(item.slug))
    return "\n".join(lines)


def _item(index: int, item: Transmission, zone: tzinfo, snippet: str = "") -> str:
    lines = [
        f"{index}. {one_line(item.title)}",
        f"   {one_line(item.category)} · {format_date(item.published_at, zone)}",
        f"   {clean(snippet or item.excerpt)}",
    ]
    if item.url:
        lines.append(f"   {one_line(item.url)}")
    lines.append(f"   {open_command(item.slug)}")
    return "\n".join(lines)


def render_page(page: LatestPage, zone: tzinfo = UTC) -> str:
    """Render a LATEST UPDATES page with its page links, like the blog's home page."""
    head = [f"📡 {t('banner', page.lang)}", page.heading or t("latest", page.lang), RULE]
    if not page.items:
        return "\n".join([*head, t("no_posts", page.lang)])
    first = (page.page - 1) * page.per_page + 1
    body = [_item(first + i, item, zone) for i, item in enumerate(page.items)]
    foot = [RULE]
    if page.more:
        foot.append(t("more_posts", page.lang, more=page.more))
    else:
        foot.append(
            t(
                "page_of",
                page.lang,
                page=page.page,
                pages=page.pages,
                total=counted(page.total, page.at_least),
            )
        )
        if page.pages > 1:
            window = page_window(page.page, page.pages, 9)
            links = " ".join(f"[{n}]" if n == page.page else str(n) for n in window)
            foot.append(f"◀ {links} ▶   /latest N")
    return "\n".join([*head, "\n\n".join(body), *foot])


def render_search(view: SearchResults, zone: tzinfo = UTC) -> str:
    """Render one page of search results, each hit with its snippet, numbered across pages."""
    if not view.items:
        return t("search_none", view.lang, query=one_line(view.query))
    head = t(
        "search_results", view.lang, query=one_line(view.query), total=counted(view.total, view.at_least)
    )
    first = (view.page - 1) * max(view.per_page, len(view.items)) + 1
    snippets = view.snippets + ("",) * len(view.items)
    body = [_item(first + i, item, zone, snippets[i]) for i, item in enumerate(view.items)]
    if view.pages > 1:
        tail = [
            t(
                "page_of",
                view.lang,
                page=view.page,
                pages=view.pages,
                total=counted(view.total, view.at_least),
            )
        ]
    elif view.total > len(view.items):
        tail = [t("search_more", view.lang, shown=len(view.items))]
    else:
        tail = []
    return "\n\n".join([head, *body, *tail])


def render_full(post: FullPost, zone: tzinfo = UTC) -> str:
    """Render a whole post for the terminal (`/post <slug> full`)."""
    return render_plain(post, zone)


def render_view(view: View, zone: tzinfo = UTC) -> str:
    """Render any command reply as plain text."""
    if isinstance(view, Transmission):
        return render_transmission(view, zone)
    if isinstance(view, LatestPage):
        return render_page(view, zone)
    if isinstance(view, CategoryList):
        if not view.categories:
            return t("no_categories", view.lang)
        rows = [
            f"  {one_line(c.name)} — {t('posts_count', view.lang, count=c.count)}" for c in view.categories
        ]
        return "\n".join([t("categories", view.lang), *rows])
    if isinstance(view, SearchResults):
        return render_search(view, zone)
    return "\n".join([clean(view.text), *(clean(line) for line in view.lines)])
