"""Files nobody vetted: each gives a post or a one-line refusal, never another exception."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.content.post_file import NotAPostError, PostDefaults, PostError, parse_post

DEFAULTS = PostDefaults(timezone=UTC, site_url="https://blog.example.org")
EAST = PostDefaults(timezone=ZoneInfo("Pacific/Kiritimati"))
WEST = PostDefaults(timezone=ZoneInfo("America/Los_Angeles"))

BODIES = {
    "heading of spaces": "# " + " " * 200_000 + "x\n",
    "unclosed display math": "\\[" * 50_000,
    "unclosed inline math": "\\(" * 50_000,
    "brackets": "[" * 100_000,
    "image brackets": "![" * 5_000,
    "setext underlines": "a\n=\n" * 100_000,
    "emphasis soup": "*_" * 50_000,
    "deep emphasis": "*" * 2000 + "a" + "*" * 2000,
    "deep lists": "".join("  " * i + "- x\n" for i in range(700)),
    "deep quotes": ">" * 5000 + " x",
    "huge character reference": "&#" + "1" * 4301 + ";",
    "backticks": "`" * 100_000,
    "dollars": "$a" * 50_000,
    "link openers": "[a](" * 30_000,
    "reference openers": "[a][" * 30_000,
    "shortcode openers": "{{<" * 30_000,
    "liquid openers": "{%" * 50_000,
    "comment openers": "<!--" * 30_000,
    "tags": "<a " * 30_000,
    "macro bomb": "$\\newcommand{\\a}{\\b\\b}\\newcommand{\\b}{\\c\\c}\\newcommand{\\c}{xx}\\a$" * 50,
    "private-use markers": "\ue000" * 1000 + "\ue0010\ue001",
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_hostile_bodies_give_a_bounded_excerpt(name):
    raw = ("---\ntitle: t\ndate: 2024-01-01\n---\n" + BODIES[name]).encode()
    post = parse_post(raw, "x.md", DEFAULTS)
    assert len(post.excerpt) <= DEFAULTS.excerpt_chars
    assert "\n" not in post.excerpt and "\ue000" not in post.excerpt


@pytest.mark.parametrize(
    ("front", "defaults", "reason"),
    [
        ("date: 9999-12-31T23:59:59-14:00", DEFAULTS, "out of range"),
        ("date: 0001-01-01", EAST, "out of range"),
        ("date: 0001-01-01T00:00:00Z", WEST, "out of range"),
        ("date: '" + " " * 60_000 + "2024-01-0x'", DEFAULTS, "bad date"),
        ("date: '" + " " * 200_000 + "2024-01-01'", DEFAULTS, "front matter is longer than 64 KB"),
        ("date: 2024-01-01\nslug: index", DEFAULTS, "bad slug"),
    ],
)
def test_hostile_dates_and_slugs_are_refused_with_a_reason(front, defaults, reason):
    with pytest.raises(PostError) as caught:
        parse_post(f"---\n{front}\n---\nx\n".encode(), "x.md", defaults)
    assert reason in str(caught.value) and "\n" not in str(caught.value)
    assert len(str(caught.value)) < 300


def test_a_yaml_alias_bomb_is_refused_before_it_expands():
    bomb = "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    )
    with pytest.raises(PostError, match="aliases"):
        parse_post(f"---\n{bomb}\ndate: 2024-01-01\n---\nx\n".encode(), "x.md", DEFAULTS)


@pytest.mark.parametrize(
    "scheme", ["javascript:alert(1)", "data:text/html,hi", "file:///etc/passwd", "vbscript:x"]
)
def test_only_web_links_and_images_survive(scheme):
    post = parse_post(
        f"---\ndate: 2024-01-01\nurl: '{scheme}'\nimage: '{scheme}'\n---\nx\n".encode(), "p.md", DEFAULTS
    )
    assert post.url == "" and post.image is None


def test_control_and_bidi_characters_are_stripped_from_what_is_shown():
    raw = (
        '---\ntitle: "evil\\e[2J\\u202etxt.exe"\ndate: 2024-01-01\n'
        'categories: ["a\\u2066b"]\ntags: ["x\\u0007"]\n---\nbody\u202e text\n'
    )
    post = parse_post(raw.encode(), "p.md", DEFAULTS)
    assert post.title == "evil[2Jtxt.exe"
    assert post.category == "ab" and post.tags == ("x",)
    assert "\u202e" not in post.excerpt


def test_pages_are_reported_as_not_posts():
    with pytest.raises(NotAPostError, match="not a post: '_index'"):
        parse_post(b"---\ntitle: Posts\n---\n", "posts/_index.md", DEFAULTS)


def test_a_post_with_no_date_anywhere_takes_the_files_time():
    modified = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)
    post = parse_post(b"# Notes\n\nText.\n", "notes.md", DEFAULTS, modified)
    assert post.published_at == modified
