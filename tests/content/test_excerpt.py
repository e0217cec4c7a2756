from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.excerpt import build_excerpt


def test_headings_flow_into_text_and_markup_disappears():
    body = "# 深度相机\n\n“工欲善其事必先利其器”。**双目**方案、*结构光*和 [ToF](https://x.example)。\n"
    assert build_excerpt(body, lang="zh") == "深度相机 “工欲善其事必先利其器”。双目方案、结构光和 ToF。"


def test_code_blocks_become_a_placeholder_in_the_posts_language():
    body = "Intro.\n\n```python\nx = '$not math$'\n```\n\n    indented code\n\nOutro."
    assert build_excerpt(body, lang="en") == "Intro. [code] [code] Outro."
    assert build_excerpt("前言\n\n~~~\ncode\n~~~\n", lang="zh") == "前言 [代码]"


def test_inline_code_keeps_its_text():
    assert build_excerpt("Call `torch.distributed.init_process_group()` first.", lang="en") == (
        "Call torch.distributed.init_process_group() first."
    )


def test_math_becomes_unicode_or_a_placeholder():
    body = r"加噪公式 \[\mathbf{x}_t=(1-t)\mathbf{x}_0+t\varepsilon\] 其中 $\sigma_t$ 为噪声。"
    assert build_excerpt(body, lang="zh") == "加噪公式 𝐱ₜ=(1-t)𝐱₀+tε 其中 σₜ 为噪声。"
    body = r"前向过程 $$\begin{aligned} dx &= f(x,t)dt \end{aligned}$$ 完。"
    assert build_excerpt(body, lang="zh") == "前向过程 [公式] 完。"


def test_markdown_does_not_eat_math():
    # `$a*b$ ... $c*d$` would be emphasis, and `\[` loses its backslash, if Markdown saw them.
    assert build_excerpt(r"So $a*b$ and $c*d$ hold.", lang="en") == "So a*b and c*d hold."


def test_dollar_prices_are_not_math():
    text = "A100s cost $2 per GPU-hour and H100s $5 per GPU-hour; escaped \\$3 too."
    assert (
        build_excerpt(text, lang="en")
        == "A100s cost $2 per GPU-hour and H100s $5 per GPU-hour; escaped $3 too."
    )


def test_hyphens_and_punctuation_survive():
    text = "State-of-the-art self-attention -- really? Yes: “引号”、破折号——都在。"
    assert build_excerpt(text, lang="en") == text


def test_images_dropped_html_stripped_entities_decoded():
    body = (
        "![示意图](images/pipeline.png)\n\n"
        '<div class="x">A &amp; B <script>alert(1)</script></div>\n\nEnd &lt;tag&gt;.'
    )
    assert build_excerpt(body, lang="en") == "A & B End <tag>."


def test_cut_at_limit_with_ellipsis_only_when_cut():
    short = "短文。" * 10
    assert build_excerpt(short, lang="zh") == short
    long = "长" * 400
    result = build_excerpt(long, lang="zh")
    assert result.endswith("...")
    assert len(result) == 350


def test_cut_never_splits_a_formula_or_a_latin_word():
    text = "字" * 340 + r" $\alpha_t+\beta_t+\gamma_t$ 后文"
    result = build_excerpt(text, lang="zh")
    assert result == "字" * 340 + "..."
    words = ("transformer " * 40).strip()
    result = build_excerpt(words, lang="en", limit=50)
    assert result == "transformer transformer transformer transformer..."


def test_exactly_full_text_is_not_cut_but_later_blocks_count():
    first = "a" * 100
    assert build_excerpt(first, lang="en", limit=100) == first
    assert build_excerpt(first + "\n\nmore", lang="en", limit=100).endswith("...")


def test_long_posts_render_only_a_prefix_but_stay_correct():
    paragraphs = "\n\n".join(f"第{i}段，内容。" * 5 for i in range(200))
    result = build_excerpt(paragraphs, lang="zh")
    assert result.startswith("第0段，内容。")
    assert len(result) <= 350 and result.endswith("...")


def test_marker_characters_in_a_post_cannot_forge_tokens():
    assert build_excerpt("x \ue0000\ue001 y `code`", lang="en") == "x 0 y code"


def test_no_half_emoji_sequences_at_the_cut():
    text = "a" * 346 + "👩\u200d👩\u200d👧 tail"
    result = build_excerpt(text, lang="en")
    assert "\u200d..." not in result
    assert len(result) <= 350


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=10, max_value=400))
def test_any_markdown_gives_a_bounded_single_line(body, limit):
    result = build_excerpt(body, lang="zh", limit=limit)
    assert len(result) <= limit
    assert "\n" not in result
    assert "\ue000" not in result and "\ue001" not in result


def test_a_fence_far_into_a_long_post_never_shows_its_code():
    body = "\n\n".join(["段落内容，" * 10] * 6) + "\n\n```python\nsecret_code = 1\n```\n\n" + "后文。" * 50
    for limit in (100, 350, 1000):
        assert "secret_code" not in build_excerpt(body, lang="zh", limit=limit)
    assert "[代码]" in build_excerpt(body, lang="zh", limit=1000)


def test_the_authors_more_marker_ends_the_excerpt():
    assert build_excerpt("Intro text.\n\n<!--more-->\n\nRest.", lang="en") == "Intro text...."
    assert build_excerpt("Intro.\n\n{/* truncate */}\n\nRest.", lang="en") == "Intro...."
    assert build_excerpt("Intro.\n<!-- truncate -->\nRest.", lang="en") == "Intro...."


def test_cjk_adjacent_math_environments_and_macros_read_as_unicode():
    body = (
        "其中$\\alpha$为学习率，设$x_t$满足\n\n"
        "$$\\newcommand{\\relu}{\\mathop{\\text{relu}}}$$\n\n"
        "\\begin{equation}\\label{eq:a}\ny=\\relu(x)\n\\end{equation}\n\n价格是 $5 and $10。"
    )
    assert build_excerpt(body, lang="zh") == "其中α为学习率，设xₜ满足 y=relu(x) 价格是 $5 and $10。"


def test_generator_syntax_is_not_prose():
    body = (
        "import Tabs from '@theme/Tabs';\n\n"
        '{{< figure src="a.png" >}} Hello {{% notice %}}world{{% /notice %}}[^1] {% include x.html %}\n'
        "{: .note}\n\n:::tip\n\nTip text.\n\n:::\n\n"
        '!!! note "Title"\n    Indented body.\n\n[^1]: A footnote.'
    )
    assert build_excerpt(body, lang="en") == "Hello world Tip text. Indented body."
