"""Posts and checkers shared by the full-post tests."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.content.front_matter import split_front_matter
from bot.content.models import FullPost
from bot.content.post_file import NotAPostError, PostDefaults, PostError, parse_post
from bot.content.titles import first_heading, heading_span, readable_title

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "blogs"
SEEDS = Path("/work/shared/seeds")
SITE = "https://blog.example.org"
URL = f"{SITE}/posts/hello/"


def post(body: str, **changes: Any) -> FullPost:
    """A Chinese post with a link, holding `body`, with `changes` applied."""
    values: dict[str, Any] = {
        "post_id": 7,
        "slug": "hello",
        "title": "你好，世界",
        "category": "随笔",
        "published_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "url": URL,
        "image": None,
        "lang": "zh",
        "body": body,
        "site_url": SITE,
    }
    values.update(changes)
    return FullPost(**values)


def fixture_paths() -> list[Path]:
    """Every Markdown file of the fixture blogs."""
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".md", ".markdown", ".mdx"))


def fixture_post(path: Path) -> FullPost:
    """A fixture file as the bot would hand it to the renderers (title heading dropped)."""
    raw = path.read_bytes()
    relative = path.relative_to(FIXTURES).as_posix()
    defaults = PostDefaults(timezone=UTC, site_url=SITE)
    body = split_front_matter(raw.decode("utf-8")).body
    try:
        parsed = parse_post(raw, relative, defaults, datetime(2024, 1, 1, tzinfo=UTC))
        title, category, lang, url = parsed.title, parsed.category, parsed.lang, parsed.url
    except (PostError, NotAPostError):
        title, category, lang, url = path.stem, "", "en", ""
    span = heading_span(body)
    heading = first_heading(body, span) if span else None
    if span is not None and heading is not None and readable_title(heading) == title:
        body = body[: span[0]] + body[span[1] :]
    return post(body, title=title, category=category, lang=lang, url=url, slug=path.stem)


def seed_bodies() -> list[str]:
    """The home page snapshots' excerpts (real CJK prose with LaTeX), one post body each."""
    bodies = []
    for path in sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line) > 80:
                bodies.append(line)
    return bodies


def with_body(original: FullPost, body: str) -> FullPost:
    """`original` with another body."""
    return replace(original, body=body)


# --- rich HTML -------------------------------------------------------------------------------------

BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li", "table", "tr", "th",
     "td", "hr", "img", "tg-math-block", "details", "summary"}
)  # fmt: skip
INLINE_TAGS = frozenset({"b", "i", "u", "s", "code", "a", "sub", "sup", "tg-math", "br"})
VOID_TAGS = frozenset({"br", "hr", "img"})
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}, "code": {"class"}}


class RichChecker(HTMLParser):
    """Check rich HTML: allowed tags only, balanced, allowed attributes, inline never holding blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.formulas: list[str] = []
        self._formula: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in BLOCK_TAGS and tag not in INLINE_TAGS:
            self.problems.append(f"tag <{tag}> is not allowed")
        for name, value in attrs:
            if name not in ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in ("href", "src") and not re.match(r"https?://[^\s/]+", value or ""):
                self.problems.append(f"{name}={value!r} is not an absolute http(s) URL")
            if name == "class" and not re.fullmatch(r"language-[A-Za-z0-9_+#.-]+", value or ""):
                self.problems.append(f"class={value!r}")
        if tag in BLOCK_TAGS and any(
            open_tag in INLINE_TAGS or open_tag in ("p", "pre") for open_tag in self.stack
        ):
            self.problems.append(f"block <{tag}> inside {self.stack}")
        if tag in ("tg-math", "tg-math-block"):
            self._formula = []
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:
            self.problems.append(f"<{tag}/> is not a void tag")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag in ("tg-math", "tg-math-block") and self._formula is not None:
            self.formulas.append("".join(self._formula))
            self._formula = None

    def handle_data(self, data: str) -> None:
        if self._formula is not None:
            self._formula.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append("a comment")


def check_rich(markup: str) -> list[str]:
    """Assert that `markup` is well-formed rich HTML of allowed tags; return its formula sources."""
    checker = RichChecker()
    checker.feed(markup)
    checker.close()
    assert not checker.stack, f"unclosed: {checker.stack}"
    assert not checker.problems, checker.problems[:5]
    return checker.formulas


def visible(markup: str) -> str:
    """Classic Telegram HTML's visible text (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))
