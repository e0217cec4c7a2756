"""search_text: a post's readable text, checked against the slow path (the excerpt's full render)."""

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content import excerpt
from bot.content.cleaner import split_at_more
from bot.content.excerpt import build_excerpt
from bot.content.search_text import MAX_CHARS, search_text
from tests.content.test_excerpt_properties import posts
from tests.markup import leaks

PLACEHOLDERS = ("[代码]", "[code]", "[公式]", "[formula]")
# The excerpt reads link definitions as text (it never resolves references); Markdown hides them.
DEFINITIONS = re.compile(r"^ {0,3}\[[^\]^\n]+\]:.*$", re.MULTILINE)


def slow_text(body: str) -> str:
    """The obvious path: render the whole post with Markdown, as the excerpt does, formulas dropped."""
    original = excerpt.latex_to_unicode
    excerpt.latex_to_unicode = lambda source, display=False: None  # formulas become placeholders
    try:
        text = build_excerpt(DEFINITIONS.sub("", split_at_more(body)[0]), lang="zh", limit=10**9, fast=False)
    finally:
        excerpt.latex_to_unicode = original
    for placeholder in PLACEHOLDERS:
        text = text.replace(placeholder, " ")
    return text


def words(text: str) -> str:
    """What a reader reads: letters and digits in order (spacing and punctuation are style)."""
    return "".join(char for char in text if char.isalnum())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("## 扩散模型\n\n正文**加粗**与*斜体*。", "扩散模型 正文加粗与斜体。"),
        ("- 第一项\n- 第二项\n\n1. one\n2. two", "第一项 第二项 one two"),
        ("> 引用\n> > 嵌套", "引用 嵌套"),
        ("见[论文](https://example.org)与![图](/a.png)。", "见论文与 。"),
        ("代码 `torch.compile` 很快。\n\n```python\nx = 1\n```\n\n之后", "代码 torch.compile 很快。 之后"),
        ("其中$\\alpha_t$为学习率，$$E=mc^2$$完毕", "其中 为学习率， 完毕"),
        ("costs $5 and $10.", "costs $5 and $10."),
        ("<div>内容</div><!-- 注释 --><script>alert(1)</script>", "内容"),
        ("{{< figure src=x >}} {% include a.html %} 文字", "文字"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("snake_case and __init__ and _em_", "snake_case and init and em"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a b 1 2"),
        ("标题\n===\n\n正文\n\n---\n\n后文", "标题 正文 后文"),
        ("\\*不是强调\\*", "*不是强调*"),
        ("前\n\n    缩进代码\n\n后", "前 后"),
        ('!!! note "注意"\n    提示内容\n\n后文', "提示内容 后文"),
        ("正文[^1]\n\n[^1]: 脚注\n\n[ref]: https://example.org", "正文"),
    ],
)
def test_examples(body, expected):
    assert search_text(body) == expected


def test_the_whole_post_is_read_not_just_an_excerpt():
    body = "开头。\n\n<!--more-->\n\n" + "中间段落。\n\n" * 500 + "结尾的扩散模型。"
    assert search_text(body).endswith("结尾的扩散模型。")


def test_length_is_bounded_and_never_splits_a_combining_sequence():
    assert len(search_text("字" * (MAX_CHARS + 100))) == MAX_CHARS
    assert search_text("e\u0301" * 10, limit=5) == "e\u0301" * 2  # not `e\u0301e\u0301e`


def test_unclosed_constructs_stay_linear():
    for hostile in (
        "<!--" * 20_000,
        "`" * 50_000,
        "$" * 50_000,
        "```\n" * 20_000,
        "[" * 50_000,
        "\\[" * 20_000,
    ):
        start = time.process_time()
        search_text(hostile)
        assert time.process_time() - start < 1.0, hostile[:10]


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@SETTINGS
@given(posts())
def test_reads_the_same_words_as_a_full_markdown_render(body):
    assert words(search_text(body)) == words(slow_text(body))


@pytest.mark.slow
@SETTINGS
@given(posts())
def test_no_markup_reaches_the_text(body):
    text = search_text(body)
    assert leaks(text.replace("$5 and $10", "")) == [], text
    assert "\n" not in text and text == text.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_read_without_error(body):
    text = search_text(body)
    assert len(text) <= MAX_CHARS and "\ue000" not in text
