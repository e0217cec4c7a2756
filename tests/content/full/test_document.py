"""parse_document: a post body as blocks and runs, construct by construct."""

from __future__ import annotations

import pytest

from bot.content.full import parse_document
from bot.content.full.document import MAX_BODY, MAX_LINES
from bot.content.full.model import (
    BOLD,
    ITALIC,
    STRIKE,
    CodeBlock,
    Heading,
    Image,
    ListBlock,
    MathBlock,
    Paragraph,
    Quote,
    Rule,
    Run,
    Table,
    runs_text,
)
from tests.content.full.support import SITE, URL, post


def blocks(body: str, **changes: object) -> tuple[object, ...]:
    return parse_document(post(body, **changes)).blocks


def only(body: str) -> object:
    found = blocks(body)
    assert len(found) == 1, found
    return found[0]


def text(body: str) -> str:
    paragraph = only(body)
    assert isinstance(paragraph, Paragraph)
    return runs_text(paragraph.runs)


def test_headings_keep_their_level_and_paragraphs_their_text():
    assert blocks("## 第一节\n\n正文。\n\n#### Deep") == (
        Heading(2, (Run("text", "第一节"),)),
        Paragraph((Run("text", "正文。"),)),
        Heading(4, (Run("text", "Deep"),)),
    )


def test_setext_headings_are_headings():
    assert blocks("Title\n=====\n\nSub\n---") == (
        Heading(1, (Run("text", "Title"),)),
        Heading(2, (Run("text", "Sub"),)),
    )


@pytest.mark.parametrize(
    ("markdown", "style"),
    [
        ("**b**", BOLD),
        ("__b__", BOLD),
        ("*b*", ITALIC),
        ("_b_", ITALIC),
        ("~~b~~", STRIKE),
        ("***b***", BOLD | ITALIC),
    ],
)
def test_emphasis_becomes_styled_runs(markdown, style):
    assert only(f"a {markdown} c") == Paragraph(
        (Run("text", "a "), Run("text", "b", style), Run("text", " c"))
    )


def test_inline_code_is_kept_verbatim_even_when_it_looks_like_markup():
    assert only("run `a*b <div> {{ x }} $y$` now") == Paragraph(
        (Run("text", "run "), Run("code", "a*b <div> {{ x }} $y$"), Run("text", " now"))
    )


def test_double_backtick_spans_hold_backticks():
    assert only("see `` a`b `` here").runs[1] == Run("code", "a`b")


@pytest.mark.parametrize(
    ("target", "href"),
    [
        ("https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"),
        ("/about/", f"{SITE}/about/"),
        ("pic/x.png", f"{URL}pic/x.png"),
        ("<https://example.com/s p>", None),
        ("javascript:alert(1)", None),
        ("#section", f"{URL}#section"),
        ("../other/#part-2", f"{SITE}/posts/other/#part-2"),
        ("mailto:a@b.c", None),
    ],
)
def test_links_are_absolute_http_or_just_their_text(target, href):
    paragraph = only(f"see [the **page**]({target}) now")
    assert runs_text(paragraph.runs) == "see the page now"
    assert Run("text", "page", BOLD, href) in paragraph.runs
    assert {run.href for run in paragraph.runs} == {None, href}


def test_link_targets_may_hold_parentheses():
    paragraph = only("见 [维基](https://en.wikipedia.org/wiki/Foo_(bar)) 一文")
    assert paragraph.runs[1] == Run("text", "维基", href="https://en.wikipedia.org/wiki/Foo_(bar)")


def test_a_link_title_is_dropped_and_autolinks_link():
    assert only('[x](https://e.com/a "Title")').runs == (Run("text", "x", href="https://e.com/a"),)
    assert only("<https://e.com/b>").runs == (Run("text", "https://e.com/b", href="https://e.com/b"),)


def test_images_resolve_against_the_site_and_the_post():
    assert blocks("![封面](/img/a.png)\n\n![b](b.png)") == (
        Image(f"{SITE}/img/a.png", "封面"),
        Image(f"{URL}b.png", "b"),
    )


def test_an_image_inside_a_paragraph_splits_it():
    assert blocks("前 ![x](https://e.com/x.png) 后") == (
        Paragraph((Run("text", "前"),)),
        Image("https://e.com/x.png", "x"),
        Paragraph((Run("text", "后"),)),
    )


@pytest.mark.parametrize("target", ["data:image/png;base64,AAAA", "javascript:x", "file:///etc/passwd"])
def test_an_image_without_a_web_address_keeps_its_alt_text(target):
    assert only(f"![图的说明]({target})") == Paragraph((Run("text", "图的说明"),))


def test_a_relative_image_without_site_or_url_keeps_its_alt_text():
    assert blocks("![alt](/x.png)", site_url="", url="") == (Paragraph((Run("text", "alt"),)),)


def test_inline_math_is_a_math_run_and_money_is_not():
    paragraph = only("其中$\\alpha$为学习率，价格 $5 and $10。")
    assert paragraph.runs == (
        Run("text", "其中"),
        Run("math", "\\alpha"),
        Run("text", "为学习率，价格 $5 and $10。"),
    )


@pytest.mark.parametrize(
    "formula",
    ["$$x^2$$", "\\[x^2\\]", "\\begin{equation}x^2\\end{equation}", "\\begin{equation*}x^2\\end{equation*}"],
)
def test_display_math_splits_its_paragraph(formula):
    assert blocks(f"前文{formula}后文") == (
        Paragraph((Run("text", "前文"),)),
        MathBlock("x^2"),
        Paragraph((Run("text", "后文"),)),
    )


def test_alignment_environments_keep_their_rows_aligned():
    (math,) = [b for b in blocks("\\begin{align}a&=b\\\\c&=d\\end{align}") if isinstance(b, MathBlock)]
    assert math.source == "\\begin{aligned}a&=b\\\\c&=d\\end{aligned}"


def test_macros_are_expanded_in_every_formula_and_definitions_vanish():
    body = "记 $$\\newcommand{\\R}{\\mathbb{R}}$$ 于是 $x\\in\\R$ 且\n\n$$\\R^n$$"
    found = blocks(body)
    assert Paragraph((Run("text", "记 于是 "), Run("math", "x\\in\\mathbb{R}"), Run("text", " 且"))) in found
    assert MathBlock("\\mathbb{R}^n") in found


def test_a_macro_defined_after_its_use_is_expanded_too():
    found = blocks("先用 $\\op(x)$\n\n后定义 $\\DeclareMathOperator{\\op}{op}$")
    assert Run("math", "\\operatorname{op}(x)") in found[0].runs


def test_labels_and_tags_are_dropped():
    assert only("$$a=b\\label{eq:1}\\tag{2}$$") == MathBlock("a=b")


def test_an_escaped_dollar_is_a_dollar():
    assert text("costs \\$5 or \\$6") == "costs $5 or $6"


@pytest.mark.parametrize(
    ("opening", "closing", "language"),
    [
        ("```python", "```", "python"),
        ("~~~ {.rust}", "~~~", "rust"),
        ("```c++ title=x", "```", "c++"),
        ("{% highlight ruby linenos %}", "{% endhighlight %}", "ruby"),
        ("{% codeblock Title lang:js %}", "{% endcodeblock %}", "js"),
        ('{{< highlight go "linenos=table" >}}', "{{< /highlight >}}", "go"),
        ("```", "```", ""),
    ],
)
def test_code_blocks_keep_their_lines_and_language(opening, closing, language):
    code = "if a < b && c:\n    print('$x$ {{ y }} [z](w)')\n\n# done"
    assert blocks(f"前\n\n{opening}\n{code}\n{closing}\n\n后")[1] == CodeBlock(code, language)


def test_indented_code_is_a_code_block_with_its_text_as_written():
    assert blocks("para\n\n    x = $a$ < 1 & `y`\n    z\n\nafter")[1] == CodeBlock("x = $a$ < 1 & `y`\nz")


def test_lists_nest_and_keep_their_numbering():
    found = only("3. one\n4. two\n    - inner *i*\n    - more")
    assert isinstance(found, ListBlock) and found.ordered and found.start == 3
    assert found.items[0] == (Paragraph((Run("text", "one"),)),)
    inner = found.items[1][1]
    assert isinstance(inner, ListBlock) and not inner.ordered
    assert inner.items[0] == (Paragraph((Run("text", "inner "), Run("text", "i", ITALIC))),)


def test_quotes_nest_and_hold_blocks():
    found = only("> 引用\n>\n> > 更深\n>\n> - item")
    assert isinstance(found, Quote)
    assert found.blocks[0] == Paragraph((Run("text", "引用"),))
    assert isinstance(found.blocks[1], Quote) and isinstance(found.blocks[2], ListBlock)


def test_tables_have_a_header_and_rows_of_inline_cells():
    found = only("| a | $x|y$ |\n|---|---|\n| `c|d` | **e** |\n| f |")
    assert found == Table(
        header=((Run("text", "a"),), (Run("math", "x|y"),)),
        rows=(((Run("code", "c|d"),), (Run("text", "e", BOLD),)), ((Run("text", "f"),), ())),
    )


def test_a_table_with_a_huge_cell_reads_as_paragraphs():
    found = blocks(f"| a | b |\n|---|---|\n| {'字' * 1500} | c |")
    assert found[0] == Paragraph((Run("text", "a", BOLD), Run("text", " | "), Run("text", "b", BOLD)))
    assert isinstance(found[1], Paragraph) and runs_text(found[1].runs).endswith(" | c")


def test_rules_and_hard_line_breaks():
    assert blocks("a\n\n---\n\nb  \nc") == (
        Paragraph((Run("text", "a"),)),
        Rule(),
        Paragraph((Run("text", "b"), Run("break"), Run("text", "c"))),
    )


def test_soft_line_breaks_join_chinese_without_a_space_and_english_with_one():
    assert text("第一行\n第二行 and\nthird") == "第一行第二行 and third"


def test_raw_html_keeps_its_text_and_drops_scripts_and_styles():
    found = blocks(
        "<div class='x'>\n\n**加粗**\n\n</div>\n\n<span>内</span>联 &amp; <b>x</b>\n\n"
        "<script>alert(1)</script>\n\n<style>p{}</style>ok"
    )
    shown = " ".join(runs_text(b.runs) for b in found if isinstance(b, Paragraph))
    assert "加粗" in shown and "内联 & x" in shown and "ok" in shown
    assert "alert" not in shown and "p{}" not in shown and "<" not in shown


@pytest.mark.parametrize(
    "syntax",
    [
        '{{< youtube id="x" >}}',
        "{% include note.html %}",
        "{{ site.title }}",
        "import Tabs from '@theme/Tabs';",
        "<Tabs><TabItem value='a'>",
        "{/* comment */}",
        ":::note",
        "{: .notice}",
        "* TOC\n{:toc}",
        "[^1]",
        "<!--more-->",
    ],
)
def test_generator_syntax_never_appears(syntax):
    found = blocks(f"正文开始。\n\n{syntax}\n\n正文结束[^1]。\n\n[^1]: 脚注。")
    shown = " ".join(runs_text(b.runs) for b in found if isinstance(b, Paragraph))
    assert shown == "正文开始。 正文结束。"


def test_admonitions_keep_their_content():
    found = blocks('!!! note "Heads up"\n    Inside the note.\n\nAfter.')
    assert [runs_text(b.runs) for b in found if isinstance(b, Paragraph)] == ["Inside the note.", "After."]


def test_forged_markers_in_the_body_are_dropped():
    assert text("a\ue0000\ue001b\ue002\ue003\ue004c") == "a0bc"


def test_an_over_long_body_is_cut_at_a_paragraph_and_marked():
    paragraph = "字" * 999
    document = parse_document(post("\n\n".join([paragraph] * (MAX_BODY // 1000 + 50))))
    assert document.truncated
    assert all(runs_text(b.runs) == paragraph for b in document.blocks)


def test_too_many_lines_are_cut_too():
    document = parse_document(post("a\n\n" * (MAX_LINES + 10)))
    assert document.truncated and len(document.blocks) <= MAX_LINES // 2 + 1


def test_a_normal_post_is_not_truncated():
    assert not parse_document(post("短文。")).truncated


def test_formulas_are_listed_in_reading_order():
    document = parse_document(post("$a$\n\n$$b$$\n\n- $c$\n\n> $d$\n\n| $e$ |\n|---|\n| $f$ |"))
    assert document.formulas() == ["a", "b", "c", "d", "e", "f"]


def test_fenced_code_inside_list_items_and_quotes_stays_there():
    found = blocks("- a\n\n    ```py\n    x = 1\n      y\n    ```\n- b\n\n> ```sh\n> ls -l\n> ```")
    first = (Paragraph((Run("text", "a"),)), CodeBlock("x = 1\n  y", "py"))
    assert found[0] == ListBlock(False, (first, (Paragraph((Run("text", "b"),)),)))
    assert found[1] == Quote((CodeBlock("ls -l", "sh"),))


def test_raw_html_images_links_and_breaks_are_read():
    found = blocks('前<br>后 <a href="/p/">站内</a>\n\n<img src="/i.png" alt="图" width="300">')
    assert found == (
        Paragraph(
            (Run("text", "前"), Run("break"), Run("text", "后 "), Run("text", "站内", href=f"{SITE}/p/"))
        ),
        Image(f"{SITE}/i.png", "图"),
    )


def test_a_formula_around_a_code_span_is_one_formula():
    assert only("见 $a `b` c$ 处").runs[1] == Run("math", "a `b` c")


def test_malformed_emphasis_next_to_a_formula_loses_nothing_of_it():
    paragraph = only("*斜**粗*$x^2$后")
    assert Run("math", "x^2") in paragraph.runs
    assert all("\ue000" not in run.text and "\ue001" not in run.text for run in paragraph.runs)
