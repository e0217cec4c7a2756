"""What every part's header says about the post, cleaned once for every renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from bot.content.i18n import t
from bot.content.models import FullPost, Lang
from bot.content.render.common import MAX_CATEGORY, MAX_TITLE, clamp, format_date, one_line, safe_url


@dataclass(frozen=True, slots=True)
class Facts:
    """The post's title, category, date and links as a header shows them."""

    title: str
    category: str
    date: str
    edited: str  # the "edited" mark in the post's language, or ""
    url: str | None  # the original, when it is a link a chat accepts
    cover: str | None
    lang: Lang

    def part(self, number: int, parts: int) -> str:
        """Return the part label, `(2/3)`."""
        return t("full_part", self.lang, part=number, parts=parts)

    def meta(self) -> list[str]:
        """Return category, date and the edited mark, in the order a header shows them."""
        return [self.category, self.date, *([self.edited] if self.edited else [])]


def facts(post: FullPost, zone: tzinfo) -> Facts:
    """Gather the header facts of `post`, dates in `zone`."""
    return Facts(
        title=clamp(one_line(post.title), MAX_TITLE) or "—",
        category=clamp(one_line(post.category), MAX_CATEGORY),
        date=format_date(post.published_at, zone),
        edited=t("edited", post.lang) if post.edited else "",
        url=safe_url(post.url),
        cover=safe_url(post.image),
        lang=post.lang,
    )
