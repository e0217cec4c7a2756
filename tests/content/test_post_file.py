import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.content.post_file import PostDefaults, PostError, content_hash, first_heading, parse_post

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULTS = PostDefaults(timezone=UTC, site_url="https://blog.example.org/posts/")


def parse(text: str, path: str = "hello-world.md", defaults: PostDefaults = DEFAULTS):
    return parse_post(text.encode("utf-8"), path, defaults)


def test_full_front_matter():
    post = parse(
        "---\ntitle: 扩散模型\ndate: 2026-01-11T09:30:00+08:00\ncategory: 生成模型\n"
        "tags: [diffusion, sde]\nslug: diffusion\nurl: https://elsewhere.example/d\n"
        "image: https://img.example/c.png\nlang: zh-CN\ndraft: false\n---\n\n正文。\n"
    )
    assert post.title == "扩散模型"
    assert post.published_at == datetime(2026, 1, 11, 1, 30, tzinfo=UTC)
    assert post.category == "生成模型"
    assert post.tags == ("diffusion", "sde")
    assert post.slug == "diffusion"
    assert post.url == "https://elsewhere.example/d"
    assert post.image == "https://img.example/c.png"
    assert post.lang == "zh"
    assert post.draft is False
    assert post.excerpt == "正文。"


def test_fallbacks_title_from_heading_slug_from_file_url_from_site():
    post = parse(
        "---\ndate: 2026-01-11\n---\n\n# Spatial Pyramid Pooling\n\nBody text here.\n", "2025/SPP Notes.md"
    )
    assert post.title == "Spatial Pyramid Pooling"
    assert post.slug == "spp-notes"
    assert post.url == "https://blog.example.org/posts/spp-notes"
    # The heading became the title, so the excerpt does not repeat it.
    assert post.excerpt == "Body text here."
    assert post.lang == "en"
    assert post.category == "Uncategorized"


def test_title_falls_back_to_file_name_and_no_front_matter_needs_date():
    with pytest.raises(PostError, match="no date: add 'date:'"):
        parse("just text\n")
    post = parse("---\ndate: 2026-01-11\n---\nplain words only\n", "notes.markdown")
    assert post.title == "notes"


def test_setext_heading_and_markup_stripped():
    assert first_heading("Intro **bold** `code`\n=====\n\ntext") == "Intro bold code"
    assert first_heading("no heading") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-01", datetime(2026, 4, 30, 16, 0, tzinfo=UTC)),
        ("2026-05-01 09:30", datetime(2026, 5, 1, 1, 30, tzinfo=UTC)),
        ("2026-05-01T09:30:00Z", datetime(2026, 5, 1, 9, 30, tzinfo=UTC)),
        ("2026-05-01T09:30:00-07:00", datetime(2026, 5, 1, 16, 30, tzinfo=UTC)),
        ("'2026-05-01'", datetime(2026, 4, 30, 16, 0, tzinfo=UTC)),
    ],
)
def test_naive_dates_use_the_configured_zone(value, expected):
    defaults = PostDefaults(timezone=SHANGHAI)
    post = parse(f"---\ndate: {value}\n---\ntext\n", defaults=defaults)
    assert post.published_at == expected
    assert post.published_at.tzinfo is not None
    assert post.published_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\ntitle: [unclosed\ndate: 2026-01-01\n---\n", "bad YAML front matter at line"),
        ("---\ntitle: x\ndate: 2026-01-01\nno closing line\n", "front matter is not closed"),
        ("---\n- a\n- b\n---\n", "front matter must be a mapping"),
        ("---\ndate: yesterday\n---\n", "bad date 'yesterday'"),
        ("---\ndate: 2026-13-01\n---\n", "bad date"),
        ("---\ndate: 12\n---\n", "bad date 12"),
        ("---\ndate: 2026-01-01\nslug: has space\n---\n", "bad slug"),
        ("---\ndate: 2026-01-01\ndraft: maybe\n---\n", "'draft' must be true or false"),
        ("---\ndate: 2026-01-01\ntitle: {a: 1}\n---\n", "'title' must be text"),
        ("---\ndate: 2026-01-01\ntags: {a: 1}\n---\n", "'tags' must be a list"),
    ],
)
def test_broken_files_get_one_line_reasons(text, reason):
    with pytest.raises(PostError) as caught:
        parse(text)
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_binary_non_utf8_and_oversized_files_are_refused():
    with pytest.raises(PostError, match="binary"):
        parse_post(b"\x89PNG\r\n\x1a\n\x00\x00", "x.md", DEFAULTS)
    with pytest.raises(PostError, match=r"not valid UTF-8 \(byte offset 3\)"):
        parse_post(b"abc\xff\xfe", "x.md", DEFAULTS)
    small = PostDefaults(timezone=UTC, max_bytes=1024)
    with pytest.raises(PostError, match="over the 1024-byte limit"):
        parse_post(b"a" * 1025, "x.md", small)


def test_bom_crlf_and_draft_and_tags_string():
    raw = "\ufeff---\r\ndate: 2026-01-01\r\ndraft: yes\r\ntags: a, b, a\r\n---\r\nHello\r\n".encode()
    post = parse_post(raw, "x.md", DEFAULTS)
    assert post.draft is True
    assert post.tags == ("a", "b")
    assert post.excerpt == "Hello"


def test_summary_overrides_excerpt_and_language_detection():
    post = parse("---\ndate: 2026-01-01\nsummary: 一句话概括。\n---\n这是很长的正文。" * 3)
    assert post.excerpt == "一句话概括。"
    assert post.lang == "zh"


def test_content_hash_ignores_the_file_name():
    text = "---\ndate: 2026-01-01\n---\nSame.\n"
    assert (
        parse(text, "a.md").content_hash == parse(text, "b/c.md").content_hash == content_hash(text.encode())
    )


def test_site_url_missing_gives_empty_url_and_slug_is_quoted():
    post = parse("---\ndate: 2026-01-01\nslug: 深度相机\n---\nx\n", defaults=PostDefaults(timezone=UTC))
    assert post.url == ""
    post = parse("---\ndate: 2026-01-01\nslug: 深度相机\n---\nx\n")
    assert post.url == "https://blog.example.org/posts/%E6%B7%B1%E5%BA%A6%E7%9B%B8%E6%9C%BA"


def test_fixed_offset_yaml_datetime():
    post = parse("---\ndate: 2026-01-01 08:00:00 +08:00\n---\nx\n")
    assert post.published_at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert UTC == UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2014-6-6 2:00", datetime(2014, 6, 6, 2, 0, tzinfo=UTC)),
        ("2021/03/04 10:20:30", datetime(2021, 3, 4, 10, 20, 30, tzinfo=UTC)),
        ("2015-08-29 12:00:00 +0800", datetime(2015, 8, 29, 4, 0, tzinfo=UTC)),
        ("2017-10-16 17:17:22 UTC", datetime(2017, 10, 16, 17, 17, 22, tzinfo=UTC)),
        ("2019-03-26T08:47:11.000Z", datetime(2019, 3, 26, 8, 47, 11, tzinfo=UTC)),
        ("Sat, 29 Aug 2015 12:00:00 +0800", datetime(2015, 8, 29, 4, 0, tzinfo=UTC)),
    ],
)
def test_dates_as_generators_accept_them(value, expected):
    assert parse(f"---\ndate: '{value}'\n---\nx\n").published_at == expected


def test_toml_json_and_header_front_matter():
    toml = parse('+++\ntitle = "T"\ndate = 2024-05-01T10:00:00+02:00\ncategories = ["A", "B"]\n+++\nx\n')
    assert (toml.title, toml.category, toml.published_at.hour) == ("T", "A", 8)
    json_post = parse('{\n  "title": "J",\n  "date": "2024-05-01",\n  "tags": ["a"]\n}\n\nBody.\n')
    assert (json_post.title, json_post.tags, json_post.excerpt) == ("J", ("a",), "Body.")
    pelican = parse("Title: P\nDate: 2010-12-03 10:20\nCategory: Python Tips\nTags: a, b\n\nBody.\n")
    assert (pelican.title, pelican.category, pelican.tags, pelican.excerpt) == (
        "P",
        "Python Tips",
        ("a", "b"),
        "Body.",
    )
    with pytest.raises(PostError, match="no date"):
        parse("Note: this is prose\n\nDate: not a header\n", "n.md")


def test_translations_by_file_name_are_posts_of_their_own():
    english = parse("---\ndate: 2024-01-01\n---\nx\n", "posts/trip/index.en.md")
    chinese = parse("---\ndate: 2024-01-01\n---\nx\n", "posts/trip/index.zh-cn.md")
    assert (english.slug, chinese.slug) == ("trip-en", "trip-zh-cn")


def test_categories_in_every_shape():
    def category(front: str, path: str = "p.md") -> str:
        return parse(f"---\ndate: 2024-01-01\n{front}\n---\nBody text.\n", path).category

    assert category("categories: [[Diary, PlayStation], [Games]]") == "Diary"
    assert category("categories: [A, B]") == "A"
    assert category("categories: A, B") == "A"
    assert category("categories: machine learning") == "machine learning"
    assert category("categories: machine learning", "_posts/2024-01-01-p.md") == "machine"
    assert category("category: [a, b]") == "a"
    assert category("") == "Uncategorized"


def test_the_body_and_its_search_text_are_kept():
    post = parse(
        "---\ntitle: 扩散模型\ndate: 2026-11-20\n---\n\n# 扩散模型\n\n正文**加粗**，见[论文](https://x.org)。\n"
    )
    assert post.body.strip() == "正文**加粗**，见[论文](https://x.org)。"  # the title heading dropped
    assert post.search_text == "正文加粗，见论文。"
    other = parse("---\ntitle: Another title\ndate: 2026-11-20\n---\n# A heading that differs\n\ntext\n")
    assert (
        other.body.startswith("# A heading that differs")
        and other.search_text == "A heading that differs text"
    )
    assert pickle.loads(pickle.dumps(post)) == post


def test_dates_are_whole_seconds():
    modified = datetime(2026, 11, 20, 8, 30, 15, 123456, tzinfo=UTC)
    post = parse_post(b"---\ntitle: T\n---\nx\n", "t.md", DEFAULTS, modified=modified)
    assert post.published_at == modified.replace(microsecond=0)
