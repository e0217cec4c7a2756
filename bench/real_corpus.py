"""Deterministic Hugo site shaped like a Chinese math blog: 8-15 KB posts, math against CJK text.

What the posts hold, as such blogs write them (the prose is random sentences from the small
vocabulary below, written for this benchmark; nothing is copied from a real blog):
- YAML front matter with zone-less, sometimes non-padded dates (`2018-3-5 9:30:00`), a
  `categories:` list (block, flow or a single string), tags as a list or comma-separated text,
  sometimes a `slug:`, math in a few titles;
- inline `$…$` written straight against CJK characters (`其中$\\alpha_t$为学习率`), display
  `$$…$$` and `\\[…\\]`, bare `\\begin{equation}…\\end{equation}` and `\\begin{align}…\\end{align}`
  blocks, `\\newcommand` inside a formula and the macro used later;
- fenced code blocks only after the first screen (at least `CODE_FROM` characters into the body),
  `<!--more-->` in some posts, and Hugo page bundles (`post/<name>/index.md`) for some.

Everything lives under `post/` (Hugo's `content/post/`). Post `i` depends only on (SEED, i), so
the 1k corpus of `--quick` is the first 1,000 posts of the 10k one. The refused tree holds the
clean tree's files (hard links) plus broken ones: bad YAML, unclosed front matter, bad dates,
non-UTF-8 bytes and duplicate slugs. Folders are reused while their marker file matches.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

GENERATOR_VERSION = 1
SEED = 20261123
MARKER = ".bench-generator.json"
SECTION = "post"
MIN_BYTES = 8 * 1024
MAX_BYTES = 15 * 1024
CODE_FROM = 2000  # characters into the body before the first fenced code block may start
BUNDLE_SHARE = 0.12
MORE_SHARE = 0.3
CODE_SHARE = 0.6
BROKEN_KINDS = ("bad_yaml", "unclosed", "bad_date", "not_utf8", "duplicate")

CATEGORIES = ("数学研究", "信息时代", "机器学习", "概率统计", "物理化学", "生活随笔", "优化算法")
TAGS = (
    "概率", "生成模型", "扩散模型", "变分推断", "优化", "矩阵", "积分", "微分方程", "不等式",
    "熵", "采样", "注意力", "梯度下降", "随机过程", "级数", "复分析", "深度学习", "语言模型",
)  # fmt: skip
SLUG_WORDS = (
    "vae", "diffusion", "ddpm", "score", "sde", "ode", "attention", "rope", "softmax", "entropy",
    "kl", "gan", "flow", "adam", "norm", "embedding", "transformer", "sampling", "langevin", "ema",
    "matrix", "integral", "series", "inequality", "gradient", "lagrange", "fourier", "bayes",
)  # fmt: skip
TITLE_HEADS = (
    "变分自编码器", "扩散模型漫谈", "生成扩散模型", "从最大似然到", "梯度下降的", "矩阵求逆",
    "概率分布的", "再谈", "浅谈", "一个积分", "随机微分方程", "注意力机制", "最优传输", "熵与",
)  # fmt: skip
TITLE_TAILS = (
    "：从贝叶斯观点出发", "（二）：推导与实现", "的一个直观理解", "的几何意义", "：一个简单的证明",
    "的数值稳定性", "与其推广", "：重新审视", "笔记", "的若干性质", "的另一种推导",
)  # fmt: skip
OPENERS = (
    "我们知道，", "不难发现，", "直观来看，", "事实上，", "也就是说，", "换言之，", "更一般地，",
    "注意到", "回顾上一节，", "为此，", "具体来说，", "于是，", "然而，", "由此可见，", "",
)  # fmt: skip
SUBJECTS = (
    "模型", "这个结果", "该方法", "上述推导", "损失函数", "梯度", "采样过程", "优化器", "这个估计",
    "编码器", "解码器", "扩散过程", "这个近似", "目标函数", "先验分布", "后验分布", "该不等式",
    "这个积分", "特征值", "softmax函数", "Adam优化器", "Transformer",
)  # fmt: skip
VERBS = (
    "依赖于", "等价于", "收敛到", "近似于", "取决于", "保证了", "刻画了", "推广了", "简化了",
    "对应着", "联系着", "不同于", "来自于", "改进了",
)  # fmt: skip
OBJECTS = (
    "真实分布", "变分下界", "最优解", "一个高斯分布", "期望的上界", "数值稳定性", "训练的效率",
    "样本的多样性", "原始问题", "最大似然估计", "信息熵", "拉格朗日乘子", "均值和方差",
    "前向过程", "逆向过程", "隐变量", "条件概率", "泰勒展开",
)  # fmt: skip
ENDINGS = (
    "。", "。", "。", "，这正是我们想要的。", "。这一点后面会用到。", "，证明并不困难。",
    "，读者不妨自行验证。", "？", "；",
)  # fmt: skip
HEADINGS = (
    "问题背景", "基本思路", "推导过程", "一个例子", "数值实验", "进一步讨论", "几何意义",
    "代码实现", "文章小结", "相关工作", "一般情形", "细节补充",
)  # fmt: skip
GREEK = ("alpha", "beta", "gamma", "sigma", "theta", "lambda", "mu", "epsilon", "eta", "tau", "omega")
LETTERS = "xyztzqpuv"
SUBSCRIPTS = ("t", "0", "T", "i", "k", "{t-1}", "n", "\\theta")


@dataclass(frozen=True, slots=True)
class RealPost:
    """One generated post: where it goes, its text, and the slug the generator gave it."""

    relative: str
    text: str
    slug: str
    bundle: bool


@dataclass(frozen=True, slots=True)
class RealCorpus:
    """A generated posts folder: `posts` good posts, `broken` files that must be refused."""

    root: Path
    posts: int
    broken: int
    total_bytes: int
    reused: bool


def ensure_real_corpus(root: Path, count: int) -> RealCorpus:
    """Return the clean tree of `count` posts at `root`, generating it unless its marker matches."""
    wanted = {"version": GENERATOR_VERSION, "seed": SEED, "count": count}
    reused = _reused_bytes(root, wanted)
    if reused is not None:
        return RealCorpus(root, count, 0, reused, reused=True)
    _clear(root)
    total = 0
    for index in range(count):
        post = make_real_post(index)
        total += _write(root / post.relative, post.text.encode("utf-8"))
    # The marker goes last: an interrupted run leaves no marker and is regenerated next time.
    (root / MARKER).write_text(json.dumps({**wanted, "total_bytes": total}), encoding="utf-8")
    return RealCorpus(root, count, 0, total, reused=False)


def ensure_refused_corpus(root: Path, clean: RealCorpus, broken: int) -> RealCorpus:
    """Return the clean tree's posts plus `broken` refused files at `root` (hard links + new files)."""
    wanted = {"version": GENERATOR_VERSION, "seed": SEED, "count": clean.posts, "broken": broken}
    reused = _reused_bytes(root, wanted)
    if reused is not None:
        return RealCorpus(root, clean.posts, broken, reused, reused=True)
    _clear(root)
    total = clean.total_bytes
    for path in sorted(clean.root.rglob("*.md")):
        target = root / path.relative_to(clean.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    for number in range(broken):
        relative, data = make_broken_file(number, clean.posts)
        total += _write(root / relative, data)
    (root / MARKER).write_text(json.dumps({**wanted, "total_bytes": total}), encoding="utf-8")
    return RealCorpus(root, clean.posts, broken, total, reused=False)


def _reused_bytes(root: Path, wanted: dict[str, int]) -> int | None:
    """The total size the marker at `root` records, if it was written for `wanted`; else None."""
    marker = root / MARKER
    if not marker.is_file():
        return None
    found = json.loads(marker.read_text(encoding="utf-8"))
    if not isinstance(found, dict) or {k: found.get(k) for k in wanted} != wanted:
        return None
    return int(found["total_bytes"])


def _clear(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)


def _write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def post_name(rng: random.Random, index: int) -> str:
    return f"{'-'.join(rng.sample(SLUG_WORDS, 2))}-{index:05d}"


def make_real_post(index: int) -> RealPost:
    """Return post `index`: a valid post of 8-15 KB of UTF-8."""
    rng = random.Random(SEED * 1_000_003 + index)
    name = post_name(rng, index)
    bundle = rng.random() < BUNDLE_SHARE
    relative = f"{SECTION}/{name}/index.md" if bundle else f"{SECTION}/{name}.md"
    meta, slug = _front_matter(rng, name)
    body = _body(rng, rng.randint(MIN_BYTES + 200, MAX_BYTES - 1700) - len(meta.encode("utf-8")))
    text = meta + body
    size = len(text.encode("utf-8"))
    if not MIN_BYTES <= size <= MAX_BYTES:  # the generator's own contract; deterministic
        raise AssertionError(f"post {index} is {size} bytes, outside {MIN_BYTES}-{MAX_BYTES}")
    return RealPost(relative, text, slug, bundle)


def _front_matter(rng: random.Random, name: str) -> tuple[str, str]:
    lines = ["---"]
    title = rng.choice(TITLE_HEADS) + rng.choice(TITLE_TAILS)
    if rng.random() < 0.06:
        lines.append(f"title: '{_symbol(rng)}与{title}'")  # single quotes keep the backslash
    else:
        lines.append(f'title: "{title}"')
    year, month, day = rng.randint(2009, 2025), rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    style = rng.random()
    if style < 0.4:
        lines.append(f"date: {year}-{month}-{day} {hour}:{minute:02d}:{rng.randint(0, 59):02d}")
    elif style < 0.75:
        lines.append(f"date: {year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:00")
    elif style < 0.9:
        lines.append(f"date: {year}-{month:02d}-{day:02d}")
    else:
        lines.append(f"date: {year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00")
    categories = rng.sample(CATEGORIES, rng.randint(1, 2))
    style = rng.random()
    if style < 0.6:
        lines.append("categories:")
        lines += [f"  - {c}" for c in categories]
    elif style < 0.85:
        lines.append(f"categories: [{', '.join(categories)}]")
    else:
        lines.append(f"categories: {categories[0]}")
    tags = rng.sample(TAGS, rng.randint(1, 4))
    if rng.random() < 0.7:
        lines.append("tags:")
        lines += [f"  - {t}" for t in tags]
    else:
        lines.append(f"tags: {', '.join(tags)}")
    slug = name
    if rng.random() < 0.3:
        slug = f"{name}-s"
        lines.append(f"slug: {slug}")
    if rng.random() < 0.5:
        lines.append("mathjax: true")
    if rng.random() < 0.2:
        lines.append("comments: true")
    lines += ["---", ""]
    return "\n".join(lines) + "\n", slug


def _symbol(rng: random.Random) -> str:
    return f"${rng.choice(LETTERS)}_{rng.choice(SUBSCRIPTS)}$"


def _inline(rng: random.Random, macro: str | None) -> str:
    g, v, s = rng.choice(GREEK), rng.choice(LETTERS), rng.choice(SUBSCRIPTS)
    forms = [
        f"\\{g}_{s}",
        f"{v}_{s}\\sim q({v}_{s})",
        "\\mathcal{L}(\\theta)",
        "T\\to\\infty",
        "\\sigma_t=\\sqrt{1-\\bar{\\alpha}_t}",
        f"q({v}_t|{v}_0)",
        "\\lambda>0",
        f"\\Vert \\boldsymbol{{{v}}}\\Vert\\leq 1",
        f"\\boldsymbol{{{v}}}",
        f"\\mathbb{{E}}_{{{v}\\sim p({v})}}[f({v})]",
        "\\frac{1}{\\sqrt{d}}",
        f"{v}^{rng.randint(2, 4)}",
        f"\\log p_{{\\theta}}({v})",
    ]
    if macro is not None:
        forms.append(f"{macro}(p\\Vert q)")
    return f"${rng.choice(forms)}$"


def _sentence(rng: random.Random, macro: str | None) -> str:
    """A Chinese sentence; formulas sit right against the CJK characters, no spaces."""
    roll = rng.random()
    math = _inline(rng, macro)
    if roll < 0.2:
        clause = f"其中{math}为{rng.choice(OBJECTS)}，"
    elif roll < 0.35:
        clause = f"设{math}是{rng.choice(OBJECTS)}，"
    elif roll < 0.45:
        clause = f"当{math}时，"
    elif roll < 0.55:
        clause = f"记{math}为{rng.choice(SUBJECTS)}，那么"
    elif roll < 0.62:
        clause = f"令{math}，"
    else:
        clause = ""
    tail = ""
    if rng.random() < 0.35:
        tail = f"，即{_inline(rng, macro)}"
    return (
        rng.choice(OPENERS)
        + clause
        + rng.choice(SUBJECTS)
        + rng.choice(VERBS)
        + rng.choice(OBJECTS)
        + tail
        + rng.choice(ENDINGS)
    )


def _paragraph(rng: random.Random, macro: str | None) -> str:
    text = "".join(_sentence(rng, macro) for _ in range(rng.randint(3, 6)))
    if rng.random() < 0.15:
        word = rng.choice(OBJECTS)
        text = text.replace(word, f"**{word}**", 1)
    return text


def _display(rng: random.Random, macro: str | None) -> str:
    v, g = rng.choice(LETTERS), rng.choice(GREEK)
    formula = rng.choice(
        (
            f"p(\\boldsymbol{{{v}}}) = \\int p(\\boldsymbol{{{v}}}|\\boldsymbol{{z}})p(\\boldsymbol{{z}})"
            "d\\boldsymbol{z}",
            f"{v}_t = \\sqrt{{\\bar{{\\{g}}}_t}}\\,{v}_0 + "
            f"\\sqrt{{1-\\bar{{\\{g}}}_t}}\\,\\boldsymbol{{\\varepsilon}}",
            f"\\mathcal{{L}} = \\mathbb{{E}}_{{{v}\\sim q}}"
            f"\\left[\\log \\frac{{p({v},z)}}{{q(z|{v})}}\\right]",
            f"\\frac{{d{v}_t}}{{dt}} = -\\frac{{1}}{{2}}\\beta(t)"
            f"\\left[{v}_t + \\nabla_{{{v}}}\\log p_t({v}_t)\\right]",
            "\\text{softmax}(QK^{\\top}/\\sqrt{d})V",
            "\\sum_{n=1}^{\\infty}\\frac{1}{n^2} = \\frac{\\pi^2}{6}",
        )
    )
    roll = rng.random()
    if macro is not None and roll < 0.1:
        formula = f"{macro}(p\\Vert q) = \\int p({v})\\log\\frac{{p({v})}}{{q({v})}}d{v}"
    if roll < 0.25:
        return f"$${formula}$$"
    if roll < 0.4:
        return f"$$\n{formula}\n$$"
    if roll < 0.55:
        return f"\\[\n{formula}\n\\]"
    if roll < 0.7:
        return f"$$\\begin{{equation}}{formula}\\label{{eq:{rng.randint(1, 99)}}}\\end{{equation}}$$"
    if roll < 0.85:
        return f"\\begin{{equation}}\n{formula}\n\\end{{equation}}"
    return (
        "\\begin{align}\n"
        f"{v}_{{t+1}} =&\\, {v}_t - \\eta\\nabla_{{{v}}} \\mathcal{{L}}({v}_t) \\\\\n"
        f"=&\\, (1-\\eta\\lambda){v}_t - \\eta\\, \\boldsymbol{{g}}_t\n"
        "\\end{align}"
    )


def _newcommand(rng: random.Random) -> tuple[str, str]:
    """A display formula that defines a macro (MathJax style), and the macro's name."""
    name = rng.choice(("\\KL", "\\D", "\\kl"))
    block = (
        f"$$\\newcommand{{{name}}}{{\\mathop{{\\mathrm{{KL}}}}}}"
        f"{name}(p\\Vert q) = \\mathbb{{E}}_{{x\\sim p}}\\left[\\log\\frac{{p(x)}}{{q(x)}}\\right]$$"
    )
    return block, name


def _code(rng: random.Random) -> str:
    if rng.random() < 0.7:
        step = rng.choice(("1e-3", "2e-4", "0.01"))
        lines = [
            "```python",
            "import numpy as np",
            "",
            f"def {rng.choice(('sample', 'train_step', 'ddpm_step', 'logsumexp'))}(x, alpha={step}):",
            '    """一步更新：$x_t$ 和 \\(\\alpha\\) 在这里不是公式。"""',
            "    noise = np.random.randn(*x.shape)",
            "    return np.sqrt(1 - alpha) * x + np.sqrt(alpha) * noise  # $$ not math $$",
            "",
            f"x = np.zeros(({rng.randint(2, 512)}, {rng.randint(2, 64)}))",
            f"for t in range({rng.randint(10, 1000)}):",
            "    x = sample(x)",
            "```",
        ]
    else:
        lines = [
            "```",
            "\\begin{equation}",
            "  \\newcommand{\\R}{\\mathbb{R}} x \\in \\R^n",
            "\\end{equation}",
            "```",
        ]
    return "\n".join(lines)


def _list(rng: random.Random, macro: str | None) -> str:
    return "\n".join(f"{n}. {_sentence(rng, macro)}" for n in range(1, rng.randint(3, 5)))


def _body(rng: random.Random, target: int) -> str:
    """Blocks until `target` bytes; code only from CODE_FROM characters on."""
    blocks: list[str] = []
    chars = 0
    size = 0
    macro: str | None = None
    more_after = rng.randint(1, 3) if rng.random() < MORE_SHARE else 0
    code_left = rng.randint(1, 3) if rng.random() < CODE_SHARE else 0
    define_at = rng.randint(0, 4) if rng.random() < 0.3 else -1
    heading_every = rng.randint(3, 5)

    def add(block: str) -> None:
        nonlocal chars, size
        blocks.append(block)
        chars += len(block) + 2  # the blank line after it
        size += len(block.encode("utf-8")) + 2

    while size < target:
        number = len(blocks)
        if number and number % heading_every == 0:
            add(f"{'###' if rng.random() < 0.3 else '##'} {rng.choice(HEADINGS)}")
        if macro is None and number >= define_at >= 0:
            block, macro = _newcommand(rng)
            add(block)
        add(_paragraph(rng, macro))
        if more_after and len(blocks) >= more_after and "<!--more-->" not in blocks:
            add("<!--more-->")
        roll = rng.random()
        if code_left and chars >= CODE_FROM and roll < 0.35:
            add(_code(rng))
            code_left -= 1
        elif roll < 0.6:
            add(_display(rng, macro))
        elif roll < 0.7:
            add(_list(rng, macro))
        elif roll < 0.75:
            add("> " + _sentence(rng, macro))
    return "\n\n".join(blocks) + "\n"


def make_broken_file(number: int, posts: int) -> tuple[str, bytes]:
    """Return broken file `number` (relative path, bytes): refused by any indexer, never a page."""
    rng = random.Random(SEED * 7_919 + number)
    kind = BROKEN_KINDS[number % len(BROKEN_KINDS)]
    original = make_real_post(rng.randrange(posts))
    meta, body = _split(original.text)
    name = f"broken-{kind.replace('_', '-')}-{number:04d}"
    if kind == "duplicate":
        if not original.bundle and rng.random() < 0.5:
            # A page bundle left next to the flat file it was turned into: same folder name.
            return f"{SECTION}/{original.slug}/index.md", _retitled(original.text).encode("utf-8")
        # A copy that keeps the slug of the post it was copied from.
        lines = [line for line in meta if not line.startswith("slug:")]
        lines.insert(-1, f"slug: {original.slug}")
        return f"{SECTION}/{name}.md", _join(lines, body).encode("utf-8")
    if kind == "bad_yaml":
        variant = number // len(BROKEN_KINDS) % 4
        lines = [line for line in meta if not line.startswith("title:")]
        bad = (
            'title: "$\\sigma$-代数的一个性质"',  # `\s` is no escape YAML knows in double quotes
            "title: 梯度下降: 从入门到放弃",  # a second `: ` in a plain scalar
            "tags: [概率, 优化",  # unclosed flow sequence
            "categories:\n\t- 数学研究",  # a tab indents
        )[variant]
        lines.insert(1, bad)
        return f"{SECTION}/{name}.md", _join(lines, body).encode("utf-8")
    if kind == "unclosed":
        lines = meta[:-1]  # no closing `---`, and the body has no `---` or `...` line
        return f"{SECTION}/{name}.md", ("\n".join(lines) + "\n\n" + body).encode("utf-8")
    if kind == "bad_date":
        bad_date = rng.choice(("2019-02-30", "2018-13-07 10:00:00", "2020-04-31", "2021-06-15 25:61:00"))
        lines = [f"date: {bad_date}" if line.startswith("date:") else line for line in meta]
        return f"{SECTION}/{name}.md", _join(lines, body).encode("utf-8")
    # not_utf8: saved in GBK (a Windows editor's default for Chinese), or with one stray Latin-1 byte.
    text = original.text
    if number // len(BROKEN_KINDS) % 2 == 0:
        return f"{SECTION}/{name}.md", text.encode("gbk", errors="replace")
    data = text.encode("utf-8")
    cut = data.find(b"\n\n", len(data) // 3)
    return f"{SECTION}/{name}.md", data[:cut] + b" caf\xe9 " + data[cut:]


def _split(text: str) -> tuple[list[str], str]:
    """Front matter lines (both `---` included) and the body."""
    end = text.index("\n---\n", 4)
    return text[: end + 4].split("\n"), text[end + 5 :]


def _join(lines: list[str], body: str) -> str:
    return "\n".join(lines) + "\n" + body


def _retitled(text: str) -> str:
    return text.replace('title: "', 'title: "（旧版）', 1)
