"""LaTeX math → readable Unicode for excerpts, or None when a placeholder reads better."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.latex import latex_to_unicode

# Formulas as they appear in machine-learning blog posts, and what a chat reader should see.
READABLE = [
    (r"\mathbf{x}_t=(1-t)\mathbf{x}_0+t\varepsilon", "𝐱ₜ=(1-t)𝐱₀+tε"),
    (
        r"p(\mathbf{x}_t|\mathbf{x}_0)=\mathcal{N}(\mathbf{x}_t;(1-t)\mathbf{x}_0,t^2\mathbf{I})",
        "p(𝐱ₜ|𝐱₀)=𝒩(𝐱ₜ;(1-t)𝐱₀,t²𝐈)",
    ),
    (r"\sigma_t^2", "σₜ²"),
    ("D", "D"),
    (r"p_{data}", "p_data"),  # `d` has no subscript form; a plain word after `_` reads fine
    (r"p_\theta", "p_θ"),
    (r"\theta\in M", "θ ∈ M"),  # the space ending `\in` is syntax; it marks a spaced relation
    (r"x \in \{0,1\}^n", "x ∈ {0,1}ⁿ"),
    (r"\sum_{i=1}^N x_i", "∑ᵢ₌₁ᴺ xᵢ"),
    (r"\frac{1}{2}", "½"),
    (r"\nabla_x \log p(x)", "∇ₓ log p(x)"),
    (r"\mathbb{E}", "𝔼"),
    (r"\text{data}", "data"),
    ("dw", "dw"),
    ("f(x,t)", "f(x,t)"),
    (r"\alpha_t", "αₜ"),
    (r"\bar{\alpha}_t", "ᾱₜ"),  # macron composes with alpha into the single glyph U+1FB1
    (
        r"\mathbf{x}_t=\sqrt{\bar{\alpha}_t}\mathbf{x}_0+\sqrt{1-\bar{\alpha}_t}\boldsymbol{\epsilon}",
        "𝐱ₜ=√(ᾱₜ)𝐱₀+√(1-ᾱₜ)ϵ",  # `√ᾱₜ𝐱₀` would leave the radical's extent unclear
    ),
    (r"\frac{d\mathbf{x}}{dt}=f(\mathbf{x},t)", "d𝐱/dt=f(𝐱,t)"),
    (r"d\mathbf{x}=f(\mathbf{x},t)dt+g(t)d\mathbf{w}", "d𝐱=f(𝐱,t)dt+g(t)d𝐰"),
    (r"\epsilon \sim \mathcal{N}(0, \mathbf{I})", "ϵ ∼ 𝒩(0, 𝐈)"),
    (r"\mathbb{E}_{x\sim p_{data}}[\log D(x)]", "𝔼_(x∼p_data)[log D(x)]"),
    (r"\operatorname{KL}(p\|q)", "KL(p‖q)"),
    (r"\frac{1}{2\sigma^2}\|x-\mu\|^2", "(1/(2σ²))‖x-μ‖²"),
    (r"q(x_{t-1}|x_t,x_0)", "q(xₜ₋₁|xₜ,x₀)"),
    (r"\mathcal{L}_{simple}", "ℒ_simple"),  # a word in tiny letters (ₛᵢₘₚₗₑ) is hard to read
    (r"\frac{\partial L}{\partial \theta}", "∂L/∂θ"),
    (r"\theta^* = \arg\min_\theta L(\theta)", "θ* = arg min_θ L(θ)"),
    (r"\mathrm{softmax}(QK^\top/\sqrt{d_k})V", "softmax(QKᵀ/√dₖ)V"),
    (r"\beta_1=10^{-4}", "β₁=10⁻⁴"),
    (r"\lim_{t\to 0}", "lim_(t→0)"),
    (r"x^{(i)}", "x⁽ⁱ⁾"),
    (r"\left(\frac{a}{b}\right)^2", "(a/b)²"),
    (r"\langle x, y \rangle", "⟨x, y⟩"),
]


@pytest.mark.parametrize(("source", "expected"), READABLE)
def test_readable_formulas(source: str, expected: str) -> None:
    assert latex_to_unicode(source) == expected


UNREADABLE = [
    r"\mathop{min}\limits_{\theta\in M}d(p_\theta,p_{data})",
    r"\begin{aligned}a&=b\\c&=d\end{aligned}",
    r"\begin{pmatrix}1&0\\0&1\end{pmatrix}",
    r"\int_0^1 f(t)\,dt",
    r"\sum\limits_{i=1}^N x_i",
    r"\frac{\frac{a}{b}}{c}",
    r"\sqrt[3]{x}",
    r"\sqrt{\sigma_{\max}^2-\sigma_{\min}^2+\lambda\|\mathbf{w}\|_2^2+\epsilon}",
    r"\left(\left(x\right)+y\right)",
    r"\left(\frac{a+b}{c}\right)^2",
    r"\overline{AB}",
    r"\binom{n}{k}",
    r"\foo{x}",
    r"\hspace{1em}",
    r"\today",
    r"a\\b",
    "a & b",
    "50% off",
    r"\text{$x$}",
    "x_",
    "x^^2",
    "{x",
    "x}",
    "\\",
    r"\frac{1}",
    r"\left(x",
    "",
    "  \n ",
    r"\,",
]


@pytest.mark.parametrize("source", UNREADABLE)
def test_placeholder_when_flattening_would_not_read_well(source: str) -> None:
    assert latex_to_unicode(source) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"\frac{a}{b}c", "(a/b)c"),  # not `a/bc`
        (r"\frac{1}{N}\sum_i x_i", "(1/N)∑ᵢ xᵢ"),
        (r"x/\frac{a}{b}", "x/(a/b)"),
        (r"2\frac{1}{2}", "2(½)"),  # `2½` would read as two and a half
        (r"\frac{1}{2}x", "½x"),
        (r"\frac{a+b}{c}", "(a+b)/c"),
        (r"\frac{1}{\sqrt{2\pi}}", "1/√(2π)"),
        (r"\sqrt{1-\bar{\alpha}_t}", "√(1-ᾱₜ)"),
        (r"\sqrt{2}\sigma", "√(2)σ"),
        (r"\sqrt{2}", "√2"),
        (r"p_{data}x", "p_data x"),
        (r"\log\sigma", "log σ"),
        (r"x = \pm 1", "x = ±1"),
        (r"(-\infty, \infty)", "(-∞, ∞)"),
        (r"\alpha t", "αt"),
        (r"W^\top x", "Wᵀx"),
    ],
)
def test_juxtaposition_never_misleads(source: str, expected: str) -> None:
    assert latex_to_unicode(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"A^{-1}", "A⁻¹"),
        (r"x_{ij}", "xᵢⱼ"),
        (r"x_{max}", "x_max"),
        (r"e^{-x^2}", "e^(-x²)"),  # `²` has no superscript of its own
        (r"x_{i}^{2}", "xᵢ²"),
        (r"x^\prime", "x'"),
        (r"x^*", "x*"),
        (r"\hat{x}_0", "x̂₀"),
        (r"\mathbf{0}", "𝟎"),
        (r"\mathbb{1}", "𝟙"),
        (r"\mathbb{R}^d", "ℝᵈ"),
        (r"\Big( x \Big)", "(x)"),
        (r"\left. x \right|_{0}", "x|₀"),
        ("a\n+\n\tb", "a + b"),
        (r"\label{eq:1} x", "x"),
        (r"x \tag{1}", "x"),
        ("{" * 150 + "x" + "}" * 150, "x"),
        (r"p_{数据}", "p_数据"),
    ],
)
def test_scripts_fonts_and_layout(source: str, expected: str) -> None:
    assert latex_to_unicode(source) == expected


def test_length_limits_depend_on_display() -> None:
    source = "+".join(f"x_{i % 10}" for i in range(24))  # 71 characters once converted
    assert latex_to_unicode(source) == source.replace("_", "").translate(
        str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    )
    assert latex_to_unicode(source, display=True) is None
    assert latex_to_unicode("+".join(["x"] * 41)) is None  # 81 characters


# --- properties ---------------------------------------------------------------------------------------

LATEX_TOKENS = [
    *(rf"\{name}" for name in ["frac", "dfrac", "sqrt", "left", "right", "middle", "big", "mathbf", "bar"]),
    *(rf"\{name}" for name in ["alpha", "in", "sum", "int", "log", "pm", "text", "operatorname", "foo"]),
    *(rf"\{name}" for name in ["{", "}", "|", " ", ",", "!", "\\", "begin{x}", "end{x}", "today", "label"]),
    *"{}_^[]()x1 \n&%$~#'*=+-.|/\\",
    "é",
    "数",
    "\u0301",
    "\u2028",
    "\x00",
    "[3]",
]
latex_like = st.lists(st.sampled_from(LATEX_TOKENS), max_size=40).map("".join)


def check_result(source: str, display: bool) -> None:
    result = latex_to_unicode(source, display=display)
    if result is None:
        return
    assert result == result.strip() and result
    assert len(result.splitlines()) == 1 and "  " not in result
    assert "\\" not in result
    assert len(result) <= (60 if display else 80)


@settings(max_examples=300)
@given(source=st.one_of(st.text(max_size=120), latex_like), display=st.booleans())
def test_any_input_gives_none_or_a_bounded_single_line(source: str, display: bool) -> None:
    check_result(source, display)


@settings(max_examples=200)
@given(source=latex_like)
def test_display_only_tightens_the_length_bound(source: str) -> None:
    display = latex_to_unicode(source, display=True)
    assert display is None or display == latex_to_unicode(source)
