"""Property tests: generated posts with every generator's syntax, math and code at any offset."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content.excerpt import build_excerpt
from tests.markup import leaks

CJK = st.sampled_from(["扩散模型", "学习率", "梯度", "噪声", "样本", "我们", "可以", "证明", "函数", "收敛"])
WORDS = st.sampled_from(["model", "noise", "gradient", "sample", "we", "show", "the", "loss", "step", "data"])
FORMULAS = st.sampled_from(
    [r"\alpha", r"x_t", r"\mathbf{x}_0", r"\sigma^2", r"\frac{1}{2}", r"\sum_{i=1}^N x_i", r"\relu(x)"]
)


@st.composite
def chinese(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(3, 25))):
        parts.append(draw(CJK))
        if draw(st.integers(0, 4)) == 0:
            parts.append(f"${draw(FORMULAS)}$")  # against CJK, the normal Chinese style
    return "".join(parts) + "。"


@st.composite
def english(draw: st.DrawFn) -> str:
    words = [draw(WORDS) for _ in range(draw(st.integers(3, 30)))]
    if draw(st.booleans()):
        words.insert(1, f"$ {draw(FORMULAS)} $".replace("$ ", "$").replace(" $", "$"))
    if draw(st.booleans()):
        words.append("costs $5 and $10")
    if draw(st.booleans()):
        words.append("a note[^1]")
    return " ".join(words) + "."


def _syntax(kind: str, prose: str) -> str:
    return {
        "fence": "```python\nx = '$not math$'  # {{< no >}}\n```",
        "tilde": "~~~\n<div>{% raw %}</div>\n~~~",
        "display": "$$\n\\newcommand{\\relu}{\\mathop{\\text{relu}}}\\int_0^1 f(x)\\,dx\n$$",
        "bracket": "\\[\nE = mc^2\n\\]",
        "env": "\\begin{equation}\\label{eq:1}\na^2+b^2=c^2\n\\end{equation}",
        "align": "\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}",
        "shortcode": '{{< figure src="/img/x.png" caption="A figure" >}}',
        "paired shortcode": "{{% notice info %}}\n" + prose + "\n{{% /notice %}}",
        "liquid": "{% highlight ruby linenos %}\nputs 'hi'\n{% endhighlight %}",
        "include": "{% include toc.html %} {{ site.baseurl }}",
        "mdx import": "import Tabs from '@theme/Tabs';\nimport TabItem from '@theme/TabItem';",
        "jsx": '<Tabs>\n<TabItem value="a">\n\n' + prose + "\n\n</TabItem>\n</Tabs>",
        "mdx comment": "{/* an editor's note */}",
        "docusaurus admonition": ":::tip Title\n\n" + prose + "\n\n:::",
        "mkdocs admonition": '!!! note "Heads up"\n    ' + prose,
        "kramdown": "* TOC\n{:toc}\n\n" + prose + "\n{: .notice}",
        "footnote": "[^1]: The footnote text, with [a link](https://example.org).",
        "div": '<div markdown="1">\n\n**' + prose + "**\n\n</div>",
        "comment": "<!-- hidden\nacross lines -->",
        "reference": "See [the paper][ref] and ![fig][img].\n\n[ref]: https://example.org/paper",
        "toc": "[TOC]",
        "indented code": "    def f():\n        return 1",
        "table": "| a | b |\n|---|---|\n| 1 | 2 |",
        "heading": "## " + prose,
        "list": "- " + prose + "\n- item",
        "quote": "> " + prose,
    }[kind]


_KINDS = [
    "fence", "tilde", "display", "bracket", "env", "align", "shortcode", "paired shortcode", "liquid",
    "include", "mdx import", "jsx", "mdx comment", "docusaurus admonition", "mkdocs admonition",
    "kramdown", "footnote", "div", "comment", "reference", "toc", "indented code", "table", "heading",
    "list", "quote",
]  # fmt: skip
KINDS = st.sampled_from(_KINDS)


@st.composite
def posts(draw: st.DrawFn) -> str:
    prose = st.one_of(chinese(), english())
    blocks = []
    # Padding first, so syntax lands at any offset, including well past the first screen.
    for _ in range(draw(st.integers(0, 12))):
        blocks.append(" ".join(draw(prose) for _ in range(draw(st.integers(1, 6)))))
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            blocks.append(_syntax(draw(KINDS), draw(prose)))
        else:
            blocks.append(draw(prose))
    return "\n\n".join(blocks)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@SETTINGS
@given(posts(), st.sampled_from(["zh", "en"]), st.sampled_from([120, 350, 600]))
def test_no_generator_syntax_math_or_markup_reaches_the_excerpt(body, lang, limit):
    excerpt = build_excerpt(body, lang=lang, limit=limit)
    assert leaks(excerpt.replace("$5 and $10", "")) == [], excerpt
    assert len(excerpt) <= limit


@pytest.mark.slow
@SETTINGS
@given(posts(), st.sampled_from(["zh", "en"]), st.sampled_from([120, 350]))
def test_the_fast_path_gives_the_same_excerpt_as_a_full_render(body, lang, limit):
    assert build_excerpt(body, lang=lang, limit=limit) == build_excerpt(
        body, lang=lang, limit=limit, fast=False
    )
