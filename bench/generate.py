"""Deterministic synthetic blog: ~5 KB Markdown posts mixing Chinese, English, math and code.

Post `i` depends only on (SEED, i), so the 1k corpus of `--quick` is exactly the first
1,000 posts of the 10k corpus. A folder is reused while its marker file (hidden, so the
bot's walker skips it) names the same generator version, seed and count.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

GENERATOR_VERSION = 2
SEED = 20261122
MARKER = ".bench-generator.json"
FOLDERS = tuple(f"{2015 + k // 2}/{'h1' if k % 2 == 0 else 'h2'}" for k in range(20))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CATEGORIES = (
    "生成模型",
    "强化学习",
    "系统与工程",
    "Machine Learning",
    "Reinforcement Learning",
    "Computer Vision",
    "Python",
    "随笔",
)
TAGS = _words(
    "vae diffusion score-matching flow-matching sde ode transformer attention rope rlhf ppo "
    "policy-gradient reinforce dqn cuda ddp fsdp pytorch jax numpy python asyncio sqlite "
    "optimization adam sgd regularization dropout batchnorm layernorm cnn resnet vit clip "
    "contrastive kl-divergence elbo sampling monte-carlo bayesian gaussian-process"
)
ZH_WORDS = _words(
    "模型 训练 梯度 损失函数 数据集 分布 期望 方差 噪声 参数 优化器 学习率 批量大小 推理 显存 "
    "收敛 采样 后验 先验 似然 编码器 解码器 注意力 序列 向量 矩阵 特征 样本 目标函数 正则化 "
    "泛化 过拟合 基线 奖励 策略 价值函数 环境 轨迹 回报 估计 偏差 实验 结果 直觉 推导 证明 "
    "近似 误差 迭代 步长 维度 空间 映射 卷积 残差 归一化 温度 权重 稀疏 稳定性 吞吐量 延迟"
)
ZH_GLUE = (
    "我们可以看到",
    "也就是说",
    "直观上",
    "换句话说",
    "在实践中",
    "需要注意的是",
    "这意味着",
    "因此",
    "不过",
    "事实上",
    "具体来说",
    "回到前面的问题",
)
ZH_LINK = ("的", "与", "和", "在", "对", "把", "让", "使", "会", "就", "都", "是", "也")
EN_WORDS = _words(
    "the model gradient loss data distribution expectation variance noise parameter "
    "optimizer learning rate batch inference memory convergence sample posterior prior "
    "likelihood encoder decoder attention sequence vector matrix feature objective "
    "regularization generalization baseline reward policy value environment trajectory "
    "return estimate bias experiment result intuition derivation proof approximation error "
    "iteration step dimension space mapping kernel residual weight sparse stable throughput "
    "latency we can see that this means so however in practice note which is why because "
    "when where each every only always never simple small large fast slow exact rough useful "
    "tricky"
)
GREEK = ("alpha", "beta", "gamma", "delta", "theta", "sigma", "mu", "epsilon", "lambda", "phi", "pi", "eta")
LATIN = "xyztwhqpkvu"
SUBS = ("t", "i", "j", "k", "{t-1}", "{t+1}", "0", "T", "\\theta", "\\phi", "n")


@dataclass(frozen=True, slots=True)
class Corpus:
    """A generated posts folder and what it holds."""

    root: Path
    count: int
    total_bytes: int
    reused: bool


def ensure_corpus(root: Path, count: int) -> Corpus:
    """Return the corpus at `root`, (re)generating it unless its marker matches."""
    marker = root / MARKER
    wanted = {"version": GENERATOR_VERSION, "seed": SEED, "count": count}
    if marker.is_file():
        found = json.loads(marker.read_text(encoding="utf-8"))
        if {k: found.get(k) for k in wanted} == wanted:
            return Corpus(root, count, int(found["total_bytes"]), reused=True)
    if root.exists():
        shutil.rmtree(root)
    total = 0
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        relative, text = make_post(index)
        data = text.encode("utf-8")
        (root / relative).write_bytes(data)
        total += len(data)
    # The marker goes last: an interrupted run leaves no marker and is regenerated next time.
    marker.write_text(json.dumps({**wanted, "total_bytes": total}), encoding="utf-8")
    return Corpus(root, count, total, reused=False)


def post_index(path: Path) -> int:
    """Return the index `i` of a generated post from its file name (`...-00042.md`)."""
    return int(path.stem.rsplit("-", 1)[1])


def make_post(index: int) -> tuple[str, str]:
    """Return post `index` as (path relative to the posts folder, file text)."""
    rng = random.Random(SEED * 1_000_003 + index)
    zh = rng.random() < 0.5
    k = index % len(FOLDERS)
    year = 2015 + k // 2
    month = rng.randint(1, 6) + (6 if k % 2 else 0)
    day = rng.randint(1, 28)
    words = [rng.choice(EN_WORDS[:60]) for _ in range(3)]
    stem = "-".join([*words, f"{index:05d}"])
    suffix = ".markdown" if rng.random() < 0.05 else ".md"
    title = _zh_title(rng) if zh else _en_title(rng)

    meta: list[str] = ["---"]
    titled = rng.random() < 0.95
    if titled:
        meta.append(f"title: {json.dumps(title, ensure_ascii=False)}")
    date_style = rng.random()
    if date_style < 0.5:
        meta.append(f"date: {year}-{month:02d}-{day:02d}")
    elif date_style < 0.8:
        meta.append(f"date: {year}-{month:02d}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}")
    else:
        meta.append(f"date: {year}-{month:02d}-{day:02d}T{rng.randint(0, 23):02d}:30:00+08:00")
    meta.append(f"category: {json.dumps(rng.choice(CATEGORIES), ensure_ascii=False)}")
    tags = rng.sample(TAGS, rng.randint(1, 5))
    tag_style = rng.random()
    if tag_style < 0.6:
        meta.append(f"tags: [{', '.join(tags)}]")
    elif tag_style < 0.85:
        meta.append("tags:")
        meta.extend(f"  - {tag}" for tag in tags)
    else:
        meta.append(f"tags: {', '.join(tags)}")
    if rng.random() < 0.35:
        meta.append(f"slug: {'-'.join(words[:2])}-{index:05d}-s")
    if rng.random() < 0.3:
        meta.append(f"lang: {'zh' if zh else 'en'}")
    if rng.random() < 0.1:
        meta.append(f"image: https://example.com/covers/{stem}.png")
    if rng.random() < 0.02:
        meta.append("draft: true")
    meta += ["---", ""]

    parts = ["\n".join(meta)]
    if not titled or rng.random() < 0.2:
        parts.append(f"# {title}\n")
    size = sum(len(p.encode("utf-8")) for p in parts)
    target = rng.randint(3900, 5100)  # the last section overshoots by ~0.5 KB: ~5 KB mean
    code_left = 1 if rng.random() < 0.7 else 0
    while size < target:
        section = _section(rng, zh, with_code=code_left > 0 and rng.random() < 0.5)
        if "```" in section:
            code_left -= 1
        parts.append(section)
        size += len(section.encode("utf-8"))
    return f"{FOLDERS[k]}/{stem}{suffix}", "\n".join(parts).rstrip() + "\n"


def _zh_title(rng: random.Random) -> str:
    head = "".join(rng.sample(ZH_WORDS, 2))
    tail = rng.choice(("到底在优化什么", "的直观理解", "笔记", "从零实现", "的几个坑", "：推导与实践"))
    return head + tail


def _en_title(rng: random.Random) -> str:
    words = [rng.choice(EN_WORDS[:60]) for _ in range(rng.randint(3, 6))]
    return " ".join(words).capitalize() + rng.choice(("", ": Notes", " Without the Mystery", ", Explained"))


def _inline_math(rng: random.Random) -> str:
    g, v, s = rng.choice(GREEK), rng.choice(LATIN), rng.choice(SUBS)
    forms = (
        f"\\(\\{g}_{s}\\)",
        f"${v}^{rng.randint(2, 4)}$",
        f"\\(\\mathbf{{{v}}}_{s}\\)",
        f"\\(\\nabla_\\theta \\log p_\\theta({v})\\)",
        f"\\(\\frac{{{v}}}{{\\{g}}}\\)",
        f"\\(\\sum_{{i=1}}^{{N}} {v}_i\\)",
        f"$\\mathbb{{E}}[{v}_{s}]$",
        f"\\(\\{g} \\in (0, 1)\\)",
        "\\(D_{\\mathrm{KL}}(q \\| p)\\)",
    )
    return rng.choice(forms)


def _display_math(rng: random.Random) -> str:
    g, v = rng.choice(GREEK), rng.choice(LATIN)
    body = rng.choice(
        (
            f"{v}_t = \\sqrt{{\\bar{{\\{g}}}_t}}\\, {v}_0 + \\sqrt{{1-\\bar{{\\{g}}}_t}}\\,\\epsilon",
            f"\\mathcal{{L}}(\\theta) = \\mathbb{{E}}_{{{v} \\sim p}}\\left[\\log q_\\theta({v})\\right]",
            "\\nabla_\\theta J(\\theta) = \\sum_{t=0}^{T} \\nabla_\\theta \\log \\pi_\\theta(a_t|s_t)\\, G_t",
            f"\\frac{{\\partial {v}}}{{\\partial t}} = -\\{g} {v} + \\sigma \\xi(t)",
        )
    )
    if rng.random() < 0.75:
        return f"\\[\n{body}\n\\]"
    return f"$$\n{body}\n$$"


def _zh_sentence(rng: random.Random) -> str:
    out = [rng.choice(ZH_GLUE), "，"] if rng.random() < 0.4 else []
    for _ in range(rng.randint(3, 7)):
        out.append(rng.choice(ZH_WORDS))
        roll = rng.random()
        if roll < 0.12:
            out.append(f" {_inline_math(rng)} ")
        elif roll < 0.18:
            out.append(f" {rng.choice(EN_WORDS)} ")
        elif roll < 0.22:
            out.append(f"**{rng.choice(ZH_WORDS)}**")
        else:
            out.append(rng.choice(ZH_LINK))
    out.append(rng.choice(("。", "。", "。", "？", "；")))
    return "".join(out)


def _en_sentence(rng: random.Random) -> str:
    words: list[str] = []
    for _ in range(rng.randint(8, 18)):
        roll = rng.random()
        if roll < 0.06:
            words.append(_inline_math(rng))
        elif roll < 0.09:
            words.append(f"`{rng.choice(EN_WORDS)}()`")
        elif roll < 0.11:
            words.append(f"*{rng.choice(EN_WORDS)}*")
        elif roll < 0.12:
            words.append(f"[{rng.choice(EN_WORDS)}](https://example.com/{rng.randint(1, 999)})")
        else:
            words.append(rng.choice(EN_WORDS))
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, zh: bool) -> str:
    sentences = []
    for _ in range(rng.randint(2, 5)):
        native = rng.random() < 0.85
        sentences.append(_zh_sentence(rng) if zh == native else _en_sentence(rng))
    # Chinese runs on without spaces; an English sentence inside it still gets one after it.
    return "".join(s if zh and s[-1] != "." else s + " " for s in sentences).strip()


def _code_block(rng: random.Random) -> str:
    name = "_".join(rng.sample(EN_WORDS[:60], 2))
    lines = [
        "```python",
        "import torch",
        "",
        f"def {name}(x: torch.Tensor, steps: int = {rng.randint(2, 1000)}) -> torch.Tensor:",
        f'    """{rng.choice(EN_WORDS).capitalize()} {rng.choice(EN_WORDS)}, one step at a time."""',
        "    for t in range(steps):",
        f"        x = x - {rng.randint(1, 9)}e-3 * x.grad  # $x^2$ and \\(\\alpha\\) are not math here",
        "        if t % 100 == 0:",
        '            print(f"step {t}: {x.norm():.4f}")',
        "    return x",
        "```",
    ]
    return "\n".join(lines)


def _section(rng: random.Random, zh: bool, *, with_code: bool) -> str:
    level = "###" if rng.random() < 0.25 else "##"
    heading = _zh_title(rng) if zh else _en_title(rng)
    blocks = [f"{level} {heading}"]
    for _ in range(rng.randint(1, 3)):
        blocks.append(_paragraph(rng, zh))
    roll = rng.random()
    if roll < 0.35:
        blocks.append(_display_math(rng))
        blocks.append(_paragraph(rng, zh))
    elif roll < 0.5:
        sentence = _zh_sentence if zh else _en_sentence
        blocks.append("\n".join(f"{n}. {sentence(rng)}" for n in range(1, rng.randint(3, 5))))
    elif roll < 0.6:
        blocks.append("> " + (_zh_sentence(rng) if zh else _en_sentence(rng)))
    if with_code:
        blocks.append(_code_block(rng))
    return "\n\n".join(blocks) + "\n"
