"""Full-post rendering benchmark: a ~20,000-character Chinese math post, as chat readers get it.

The post is generated (fixed seed): CJK prose, 60 inline and 15 display formulas, three code blocks
and a table, with a per-post macro, as the blog's real posts are written. Timed: `render_rich`
(the target, ≤ 20 ms median), and `render_classic` / `render_discord` on the same post for
comparison. Each run renders from the Markdown body (parsing included); formula caches are warm,
as they are in a running bot that renders a post a second time.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.index_bench import BenchError, Context
from bench.report import Row
from bot.content.full import measure_rich, render_classic, render_discord, render_rich
from bot.content.models import FullPost

TARGET_MS = 20.0
RUNS = 200
QUICK_RUNS = 50
POST_CHARS = 20_000

_PROSE = (
    "扩散模型把数据逐步加噪，再学习如何一步步去噪", "这一步的推导看起来繁琐，其实只用到了高斯分布的两条性质",
    "我们先固定时间步，再对噪声求期望", "注意这里的方差并不依赖于数据本身", "训练时只需要随机采样一个时间步",
    "这样得到的目标函数与变分下界只差一个常数", "学习率的选择对收敛速度影响很大",
    "实验中我们发现批量越大越稳定", "把上式代入损失函数，整理后可以看到", "这正是加权的去噪得分匹配",
    "在实践中通常忽略前面的权重", "模型容量足够大时，这个近似几乎没有损失",
)  # fmt: skip
_INLINE = (
    r"\alpha_t", r"\bar\alpha_t", r"x_0", r"\epsilon\sim\mathcal{N}(0,I)", r"\sigma_t^2", r"t\in[1,T]",
    r"\nabla_x \log p(x)", r"\mathbb{E}[\|\epsilon\|^2]", r"\beta_t=1-\alpha_t", r"\KL(q\|p)",
    r"\frac{1}{2}", r"\theta^*",
)  # fmt: skip
_DISPLAY = (
    r"q(x_t|x_0)=\mathcal{N}\left(x_t;\sqrt{\bar\alpha_t}x_0,(1-\bar\alpha_t)I\right)",
    r"\mathcal{L}=\mathbb{E}_{t,x_0,\epsilon}\left[\|\epsilon-\epsilon_\theta(x_t,t)\|^2\right]",
    r"\KL(q\|p)=\int q(x)\log\frac{q(x)}{p(x)}\,dx",
    "\\begin{aligned}a&=b+c\\\\&=d\\end{aligned}",
    r"\nabla_x\log p_t(x)=-\frac{x-\sqrt{\bar\alpha_t}x_0}{1-\bar\alpha_t}",
)
_CODE = (
    "```python\nimport torch\n\ndef q_sample(x0, t, noise):\n"
    "    a = alphas_bar[t].sqrt()\n    return a * x0 + (1 - alphas_bar[t]).sqrt() * noise\n```",
    "```bash\npip install torch torchvision\npython train.py --lr 2e-4 --batch 128\n```",
    "```python\nfor step, (x, _) in enumerate(loader):\n    loss = model.loss(x)\n"
    "    loss.backward()\n    opt.step()\n    opt.zero_grad()\n```",
)
_TABLE = (
    "| 方法 | FID | 步数 |\n|---|---|---|\n"
    "| DDPM | $3.17$ | 1000 |\n| DDIM | $4.04$ | 50 |\n| EDM | $1.79$ | 35 |"
)


def math_post(chars: int = POST_CHARS, seed: int = 7) -> str:
    """A Chinese math post of about `chars` characters, with formulas, code and a table spread out.

    At 20,000 characters: 60 inline and 15 display formulas, 3 code blocks, 1 table; longer posts
    repeat the pattern, so the counts grow with the length.
    """
    rng = random.Random(seed)
    scale = chars / POST_CHARS
    inline, display, codes = round(60 * scale), round(15 * scale), max(round(3 * scale), 1)
    blocks = [r"本文统一记 $$\newcommand{\KL}{\mathrm{KL}}\KL$$ 为相对熵。", "## 记号"]
    paragraphs = max(display - 1, 1)  # the first display formula is the macro's definition
    share, extra = divmod(max(inline - _TABLE.count("$") // 2, 0), paragraphs)
    for number in range(paragraphs):
        words = [rng.choice(_PROSE) for _ in range(6)]
        for _ in range(share + (number < extra)):
            words.insert(rng.randrange(len(words) + 1), f"${rng.choice(_INLINE)}$")
        blocks += ["，".join(words) + "。", f"$${_DISPLAY[number % len(_DISPLAY)]}$$"]
        if number % 5 == 4:
            blocks.append(f"## 第{number // 5 + 1}节")
    step = max(len(blocks) // (codes + 1), 1)
    for number in range(codes):
        blocks.insert(step * (number + 1) + number, _CODE[number % len(_CODE)])
    blocks.insert(len(blocks) // 2, _TABLE)
    # Prose paragraphs fill the gaps evenly up to the length asked for.
    missing = chars - sum(len(block) + 2 for block in blocks)
    gaps = list(range(1, len(blocks)))
    out: list[str] = []
    for index, block in enumerate(blocks):
        if index in gaps and missing > 0:
            share = missing // (len(gaps) - gaps.index(index))
            out.append(_prose(rng, share))
            missing -= len(out[-1]) + 2
        out.append(block)
    return "\n\n".join(out)


def _prose(rng: random.Random, size: int) -> str:
    text = ""
    while len(text) < size - 10:
        text += rng.choice(_PROSE) + rng.choice("，。")
    return text or rng.choice(_PROSE) + "。"


def full_post(body: str) -> FullPost:
    """The generated body as a stored post would hand it to the renderers."""
    return FullPost(
        post_id=1,
        slug="diffusion-notes",
        title="扩散模型的去噪目标：从变分下界到得分匹配",
        category="机器学习",
        published_at=datetime(2026, 6, 1, 9, 30, tzinfo=UTC),
        url="https://blog.example.org/posts/diffusion-notes/",
        image=None,
        lang="zh",
        body=body,
        site_url="https://blog.example.org",
    )


def _samples(work: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and process CPU milliseconds of each run (CPU time is the guide on a busy machine)."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def render_full_post(ctx: Context) -> list[Row]:
    """Median and p99 of rendering one ~20,000-character math post for each chat platform."""
    post = full_post(math_post())
    runs = QUICK_RUNS if ctx.quick else RUNS
    parts = render_rich(post)  # warm-up, and the check that the figure is about a sound result
    if len(parts) != 1 or not measure_rich(parts[0]).fits():
        raise BenchError(f"the 20,000-character post gave {len(parts)} rich messages, want 1 that fits")
    rows = []
    for name, render in (("rich", render_rich), ("classic", render_classic), ("discord", render_discord)):
        render(post)
        samples, cpus = _samples(lambda render=render: render(post), runs)  # type: ignore[misc]
        median, p99, cpu = statistics.median(samples), _p99(samples), statistics.median(cpus)
        count = len(render(post))
        key = "render_full_post_ms" if name == "rich" else f"render_full_post_{name}_ms"
        rows.append(
            Row(
                key,
                median,
                "ms",
                target=TARGET_MS if name == "rich" else None,
                samples=[round(s, 3) for s in samples],
                note=f"{name}: {len(post.body):,}-character post → {count} message(s); median of "
                f"{runs}, p99 {p99:.1f} ms; cpu {cpu:.1f} ms",
                extra={"p99_ms": round(p99, 3), "cpu_ms": round(cpu, 3), "messages": count}
                | {"chars": len(post.body)},
            )
        )
    return rows
