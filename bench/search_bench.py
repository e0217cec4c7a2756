"""/latest and /search at 100,000 published posts, on SQLite and on PostgreSQL.

The corpus: Chinese and English Markdown bodies of 2-8 KB (headings, lists, emphasis, links, inline
code, code blocks, formulas), words drawn from Zipf-weighted vocabularies (a few thousand CJK words
with the usual machine-learning terms at the top, English words, rare words), tags and categories.
Bodies are assembled from a pool of paragraphs, so their search text is assembled from the
paragraphs' (`bot.content.search_text`; a sample is checked against the whole-body call).

Both databases get the bot's schema from its migrations, the posts in bulk, and the search index
the bot's way (SQLite: the indexer's catch-up through posts_search's triggers' functions;
PostgreSQL: the same lexemes, loaded with the rows, the GIN index built after). Timed: the
service calls the bot answers commands with (`Commands.latest_page`, `Commands.search`, snippets
included), one at a time, after a warm-up; p99 of every call. /latest: pages 1-200 (what ◀ ▶
reaches), and, reported beside, any of the 20,000 pages. /search: a fixed mix of CJK words of 1 to
4 characters (common and rare), English words and prefixes, tags and mixed queries, pages 1-3.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench.index_bench import BenchError, Context, _remove_database
from bench.report import Row
from bot.clock import FakeClock
from bot.content.search_query import Document, is_cjk, lexemes, parse_query, title_lexemes
from bot.content.search_text import search_text
from bot.services.reading import SEARCH_COUNT_CAP, Commands
from bot.store import search_index
from bot.store.database import create_engine, session_factory, upgrade

FULL, QUICK = 100_000, 10_000
LATEST_TARGET_MS = 10.0
SEARCH_TARGET_MS = 50.0
SEED = 20261203
CORPUS_VERSION = 1  # bump when the corpus changes: the kept databases are built again
NOW = datetime(2026, 12, 1, tzinfo=UTC)
LATEST_SAMPLES, SEARCH_ROUNDS = 300, 3
# Real terms by topic; each topic also gets made-up words. A post is about one or two topics.
TOPICS = {
    "diffusion": "扩散 扩散模型 采样 噪声 去噪 分数匹配 随机微分方程 逆向过程 前向过程 diffusion score",
    "transformer": "注意力 编码器 解码器 位置编码 自注意力 多头 词元 上下文 transformer attention",
    "rl": "强化学习 策略 奖励 价值函数 回报 轨迹 环境 智能体 policy reward",
    "vision": "卷积 残差 相机 深度 图像 像素 特征图 目标检测 convolution camera",
    "optimization": "优化器 收敛 正则化 动量 步长 学习率 凸函数 梯度下降 optimizer momentum",
    "probability": "概率 期望 方差 后验 先验 似然 马尔可夫链 变分 下界 posterior likelihood",
    "systems": "显存 吞吐量 延迟 分布式 并行 算子 内核 流水线 throughput latency",
    "language": "语言模型 微调 指令 对齐 推理 提示词 生成 评测 finetune prompt",
}
GENERAL = [
    "模型", "训练", "数据", "参数", "梯度", "损失函数", "神经网络", "数据集", "实验",
    "结果", "方法", "model", "training", "data",
]  # fmt: skip
GLUE = [
    "的", "是", "在", "我们", "这个", "可以", "因此", "也就是说", "一个", "通过", "进行", "使用",
    "如果", "那么", "其中", "对于", "就是", "需要", "由于", "但是", "所以", "并且", "以及", "可能",
    "不同", "相同", "这样", "直观上", "具体来说", "换句话说", "事实上", "不过",
]  # fmt: skip
EN_GLUE = [
    "the", "of", "and", "to", "in", "is", "that", "we", "this", "for", "with", "as",
    "on", "it", "can", "be", "are", "by", "which",
]  # fmt: skip
TAGS = ["diffusion", "vae", "pytorch", "rlhf", "transformer", "sde", "score-matching", "cuda", "jax", "llm"]
CATEGORIES = ["生成模型", "强化学习", "系统与工程", "Machine Learning", "Python", "随笔"]
QUERIES = [
    "模", "丐", "扩散", "模型", "采样", "噪声", "注意力", "编码器", "扩散模型", "损失函数", "神经网络",
    "强化学习", "diffusion", "Attention", "atten", "policy", "#diffusion", "#pytorch", "扩散 diffusion",
    "模型 #sde", "随机微分方程",
]  # fmt: skip


@dataclass(slots=True)
class Topic:
    """A topic's words, Zipf-weighted (cumulative weights for `random.choices`)."""

    words: list[str]
    weights: list[float]


@dataclass(slots=True)
class Vocabulary:
    """What sentences are made of: glue words everywhere, general terms often, topics per post."""

    glue: Topic
    english: Topic
    general: Topic
    topics: list[Topic]


def _vocabulary(rng: random.Random) -> Vocabulary:
    def made_up(count: int) -> list[str]:  # words of 2-4 characters from 2,500 ideographs
        return [
            "".join(chr(0x4E00 + rng.randrange(2500)) for _ in range(rng.randint(2, 4))) for _ in range(count)
        ]

    def topic(words: list[str]) -> Topic:
        unique = list(dict.fromkeys(words))
        return Topic(unique, _zipf(len(unique)))

    letters = "etaoinshrdlucmfwypbgvk"
    english = EN_GLUE + ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(2000)]
    topics = [topic(terms.split() + made_up(400)) for terms in TOPICS.values()]
    return Vocabulary(topic(GLUE), topic(english), topic(GENERAL + made_up(300)), topics)


def _zipf(size: int) -> list[float]:
    total, weights = 0.0, []
    for rank in range(1, size + 1):
        total += 1.0 / rank
        weights.append(total)
    return weights


def _draw(rng: random.Random, topic: Topic, count: int) -> list[str]:
    return rng.choices(topic.words, cum_weights=topic.weights, k=count)


def _sentence(rng: random.Random, words: Vocabulary, topic: Topic) -> str:
    if rng.random() < 0.75:
        # General terms now and then (模型 ends up in most posts, 损失函数 in a fifth), the topic's often.
        general = _draw(rng, words.general, 1) if rng.random() < 0.3 else []
        parts = _draw(rng, words.glue, 4) + general + _draw(rng, topic, rng.randint(3, 8))
        rng.shuffle(parts)
        if rng.random() < 0.4:
            parts.insert(rng.randrange(len(parts)), " " + _draw(rng, words.english, 1)[0] + " ")
        return "".join(parts) + rng.choice("。，；？")
    english = _draw(rng, words.english, rng.randint(4, 10)) + _draw(rng, topic, 2)
    rng.shuffle(english)
    return " ".join(english).capitalize() + ". "


def _paragraph(rng: random.Random, words: Vocabulary, topic: Topic) -> str:
    text = "".join(_sentence(rng, words, topic) for _ in range(rng.randint(2, 6)))
    kind = rng.random()
    if kind < 0.08:
        return f"## {_sentence(rng, words, topic).rstrip('。，；？. ')}"
    if kind < 0.14:
        return "\n".join(f"- {_sentence(rng, words, topic)}" for _ in range(3))
    if kind < 0.20:
        return f"```python\nx = model(batch)  # {_draw(rng, words.english, 1)[0]}\n```"
    if kind < 0.25:
        return "$$\\mathcal{L} = \\mathbb{E}_{x}\\left[\\log p_\\theta(x)\\right]$$"
    if kind < 0.45:
        emphasis = " **" + _draw(rng, topic, 1)[0] + "** "
        return text.replace("。", "，其中$\\alpha_t$为系数。", 1).replace(" ", emphasis, 1)
    if kind < 0.55:
        return text + f" 见[这篇论文](https://example.org/{rng.randrange(10**6)})与 `torch.compile`。"
    return text


@dataclass(slots=True)
class Generated:
    """The corpus as rows for the posts table, and the lexemes PostgreSQL stores for each."""

    rows: list[dict[str, Any]]
    lexemes: list[str]  # space-separated, repeats left in: PostgreSQL's array_to_tsvector drops them
    titles: list[str]  # each title's own lexemes (posts.title_lexemes), space-separated


def generate(count: int) -> Generated:
    """Return `count` published posts (deterministic), bodies assembled from a paragraph pool."""
    rng = random.Random(SEED)
    words = _vocabulary(rng)
    per_topic = 500
    pool = [_paragraph(rng, words, topic) for topic in words.topics for _ in range(per_topic)]
    texts = [search_text(paragraph) for paragraph in pool]
    grams = [" ".join(lexemes(Document("", [], "", "", text))) for text in texts]
    sizes = [len(paragraph.encode()) + 2 for paragraph in pool]
    rows: list[dict[str, Any]] = []
    found: list[str] = []
    for number in range(1, count + 1):
        about = rng.sample(range(len(words.topics)), rng.choice((1, 1, 2)))
        chosen, size, target = [], 0, rng.randint(2048, 8192)
        while size < target:
            chosen.append(rng.choice(about) * per_topic + rng.randrange(per_topic))
            size += sizes[chosen[-1]]
        title = "".join(_draw(rng, words.topics[about[0]], rng.randint(2, 4)))
        tags, category = rng.sample(TAGS, rng.randint(0, 3)), rng.choice(CATEGORIES)
        rows.append(
            _row(number, title, tags, category, "\n\n".join(pool[i] for i in chosen),
                 " ".join(texts[i] for i in chosen if texts[i]), rng)
        )  # fmt: skip
        own = lexemes(Document(title, tags, category, rows[-1]["slug"], ""))
        found.append(" ".join([*own, *(grams[i] for i in chosen if grams[i])]))
    _check_sample(rows, found, rng)
    return Generated(rows, found, [" ".join(title_lexemes(row["title"])) for row in rows])


def _row(
    number: int, title: str, tags: list[str], category: str, body: str, text: str, rng: random.Random
) -> dict[str, Any]:
    published = NOW - timedelta(seconds=rng.randrange(10 * 365 * 86400))
    return {
        "id": number, "slug": f"post-{number:06d}", "source_path": f"posts/{number:06d}.md", "title": title,
        "category": category, "tags": tags, "published_at": published, "excerpt": text[:350],
        "url": f"https://blog.example.org/{number}", "image": None, "lang": "zh", "draft": False,
        "content_hash": f"{number:032x}", "view_hash": "v", "version": 1, "state": "active",
        "first_seen_at": NOW, "updated_at": NOW, "announced_at": NOW, "body": body, "search_text": text,
    }  # fmt: skip


def _check_sample(rows: list[dict[str, Any]], found: list[str], rng: random.Random) -> None:
    """The assembled search text and lexemes are what the bot's functions give for the whole post."""
    for index in rng.sample(range(len(rows)), min(50, len(rows))):
        row = rows[index]
        if search_text(row["body"]) != row["search_text"]:
            raise BenchError(f"assembled search text differs from search_text() for {row['slug']}")
        document = Document(row["title"], row["tags"], row["category"], row["slug"], row["search_text"])
        if set(lexemes(document)) != set(found[index].split()):
            raise BenchError(f"assembled lexemes differ from lexemes() for {row['slug']}")


COLUMNS = [
    "id", "slug", "source_path", "title", "category", "tags", "published_at", "excerpt", "url", "image",
    "lang", "draft", "content_hash", "view_hash", "version", "state", "first_seen_at", "updated_at",
    "announced_at", "body", "search_text",
]  # fmt: skip


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # as SQLAlchemy keeps dates in SQLite: naive UTC text
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return json.dumps(value) if isinstance(value, list) else value


def _load_sqlite(path: Path, data: Generated) -> None:
    connection = sqlite3.connect(path)
    search_index.register_sqlite_functions(connection)  # posts_search's triggers name them
    marks = ", ".join("?" for _ in COLUMNS)
    with connection:
        connection.executemany(
            f"INSERT INTO posts ({', '.join(COLUMNS)}) VALUES ({marks})",
            ([_sqlite_value(row[c]) for c in COLUMNS] for row in data.rows),
        )
    connection.close()


@dataclass(slots=True)
class Built:
    """A database built for the benchmark (kept in bench/work until the corpus or the index changes)."""

    folder: Path
    count: int
    key: str
    data: Generated | None = None

    def corpus(self) -> Generated:
        if self.data is None:
            started = time.perf_counter()
            self.data = generate(self.count)
            print(f"\n  generated {self.count:,} posts in {time.perf_counter() - started:.1f} s", flush=True)
        return self.data

    def fresh(self, name: str) -> bool:
        marker = self.folder / f"{name}.json"
        return not marker.is_file() or json.loads(marker.read_text()).get("key") != self.key

    def done(self, name: str, **facts: float) -> None:
        (self.folder / f"{name}.json").write_text(json.dumps({"key": self.key, **facts}))

    def facts(self, name: str) -> dict[str, float]:
        return dict(json.loads((self.folder / f"{name}.json").read_text()))


def _key(count: int) -> str:
    """Name what a built database depends on: the corpus, the search text and tokens, the schema."""
    root = Path(__file__).resolve().parents[1] / "bot"
    sources = [root / "content/search_query.py", root / "content/search_text.py"]
    digest = hashlib.blake2b(f"{CORPUS_VERSION}:{SEED}:{count}".encode(), digest_size=12)
    for source in [*sources, *sorted((root / "store/migrations/versions").glob("*.py"))]:
        digest.update(source.read_bytes())
    return digest.hexdigest()


async def _on_sqlite(built: Built, label: str) -> list[Row]:
    path = built.folder / "sqlite.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        sessions = session_factory(engine)
        if built.fresh("sqlite"):
            _remove_database(path)
            await upgrade(engine)
            await asyncio.to_thread(_load_sqlite, path, built.corpus())
            started = time.perf_counter()
            while True:  # the indexer's own catch-up, in big batches
                async with sessions() as session:
                    done = await search_index.catch_up_search(session, 5000)
                    await session.commit()
                if not done:
                    break
            built.done("sqlite", build_s=time.perf_counter() - started, index_mb=_sqlite_index_mb(path))
        timings = await _timings(sessions, built.count)
    finally:
        await engine.dispose()
    what = "posts_search and posts_search_title (FTS5, unicode61, CJK character pairs)"
    return _rows(timings, "sqlite", label, built.facts("sqlite"), what)


def _sqlite_index_mb(path: Path) -> float:
    connection = sqlite3.connect(path)
    try:
        blocks = connection.execute("SELECT sum(length(block)) FROM posts_search_data").fetchone()[0] or 0
        terms = connection.execute("SELECT count(*) FROM posts_search_idx").fetchone()[0] or 0
    finally:
        connection.close()
    return (blocks + 16 * terms) / 2**20


# The GIN indexes of migrations 0004 and 0007, dropped for the bulk load and built after it (faster).
GIN = [
    f"CREATE INDEX ix_posts_{column} ON posts USING gin ({column}) WHERE state = 'active' AND NOT draft"
    for column in ("search_lexemes", "title_lexemes")
]


async def _load_postgres(url: str, data: Generated) -> float:
    """Load the posts with their lexemes, then build the GIN index; return the index's MB."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        # posts' text columns are lz4 (migration 0008); the staging table's are made lz4 too, so a
        # value copied from it ends up lz4 whether or not PostgreSQL compresses it again.
        with contextlib.suppress(asyncpg.PostgresError):
            await connection.execute("SET default_toast_compression = 'lz4'")
        await connection.execute("DROP INDEX ix_posts_search_lexemes, ix_posts_title_lexemes")
        await connection.execute("CREATE UNLOGGED TABLE staging (LIKE posts, lexemes text, titles text)")
        records = [
            [json.dumps(row[c]) if c == "tags" else row[c] for c in COLUMNS] + [found, title]
            for row, found, title in zip(data.rows, data.lexemes, data.titles, strict=True)
        ]
        await connection.copy_records_to_table(
            "staging", records=records, columns=[*COLUMNS, "lexemes", "titles"]
        )
        columns = ", ".join(COLUMNS)
        await connection.execute(
            f"INSERT INTO posts ({columns}, search_lexemes, title_lexemes) "
            f"SELECT {columns}, array_to_tsvector(string_to_array(lexemes, ' ')), "
            "array_to_tsvector(string_to_array(titles, ' ')) FROM staging"
        )
        await connection.execute("DROP TABLE staging")
        await connection.execute("SET maintenance_work_mem = '1GB'")
        for statement in GIN:
            await connection.execute(statement)
        await connection.execute("VACUUM ANALYZE posts")
        index = await connection.fetchval(
            "SELECT pg_relation_size('ix_posts_search_lexemes') + pg_relation_size('ix_posts_title_lexemes')"
        )
        column = await connection.fetchval(
            "SELECT sum(pg_column_size(search_lexemes)) + sum(pg_column_size(title_lexemes)) FROM posts"
        )
    finally:
        await connection.close()
    return (int(index) + int(column)) / 2**20


async def _on_postgres(built: Built, label: str) -> list[Row]:
    from tests.postgres import INSTALL_HINT, bin_dir

    if bin_dir() is None:
        print(f"\nsearch: PostgreSQL skipped: {INSTALL_HINT}", flush=True)
        return []
    import asyncpg

    fresh = built.fresh("postgres")
    with _cluster(built.folder / "postgres", fresh) as server:
        url = f"{server}/search_bench"
        if fresh:
            admin = await asyncpg.connect(f"{server}/postgres")
            await admin.execute('CREATE DATABASE "search_bench"')
            await admin.close()
            engine = create_engine(url)
            await upgrade(engine)
            await engine.dispose()
            started = time.perf_counter()
            size = await _load_postgres(url, built.corpus())
            built.done("postgres", build_s=time.perf_counter() - started, index_mb=size)
        engine = create_engine(url)
        try:
            timings = await _timings(session_factory(engine), built.count)
        finally:
            await engine.dispose()
    return _rows(
        timings,
        "postgres",
        label,
        built.facts("postgres"),
        "GIN over search_lexemes and title_lexemes + the columns",
    )


@contextmanager
def _cluster(data: Path, fresh: bool) -> Iterator[str]:
    """Run a PostgreSQL cluster on `data` (made anew when `fresh`), as the tests start theirs."""
    from tests.postgres import bin_dir

    binaries = bin_dir()
    assert binaries is not None
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if fresh:
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        if prefix:
            shutil.chown(data, "postgres", "postgres")
        data.chmod(0o700)
        initdb = [str(binaries / "initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "postgres"]
        subprocess.run([*prefix, *initdb], check=True, capture_output=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB"
    )
    control = [*prefix, str(binaries / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "server.log")]
    subprocess.run([*control, "-o", options, "-w", "-t", "120", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*control, "-m", "fast", "stop"], capture_output=True)


async def _timed(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def _timings(sessions: Any, count: int) -> dict[str, list[float]]:
    commands = Commands(sessions, FakeClock(NOW))
    commands.index.ready = True  # the store is indexed: no "indexing" notice
    rng = random.Random(SEED)
    searches = [(q, page) for _ in range(SEARCH_ROUNDS) for q in QUERIES for page in (1, 2, 3)]
    for query in QUERIES:  # warm-up, and a check that the mix finds things
        found = await commands.search(query, "zh")
        if not getattr(found, "total", 0):
            raise BenchError(f"search {query!r} found nothing in {count:,} posts")
    await _timed([partial(commands.latest_page, 1, "zh")] * 20)
    near = [rng.randint(1, 200) for _ in range(LATEST_SAMPLES)]
    anywhere = [rng.randint(1, max(1, count // 5)) for _ in range(100)]
    timed = await _timed([partial(commands.search, query, "zh", page) for query, page in searches])
    latest = await _timed([partial(commands.latest_page, page, "zh") for page in near])
    latest_any = await _timed([partial(commands.latest_page, page, "zh") for page in anywhere])
    # Last: counting every match reads much of the database, and what it evicts is read again.
    exact = Commands(sessions, FakeClock(NOW), count_cap=None)  # the baseline: every match counted
    exact.index.ready = True
    once = searches[: len(QUERIES) * 3]
    return {
        "latest": latest,
        "latest_any": latest_any,
        "search": timed,
        "search_short": [ms for (query, _), ms in zip(searches, timed, strict=True) if _short(query)],
        "search_exact": await _timed([partial(exact.search, query, "zh", page) for query, page in once]),
    }


def _short(query: str) -> bool:
    """Say whether a query has no CJK word of 3+ characters (PostgreSQL reads those in the text)."""
    return all(
        not is_cjk(piece) or len(piece) < 3 for term in parse_query(query).terms for piece in term.pieces
    )


def _p99(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]


def _rows(
    timings: dict[str, list[float]], db: str, label: str, built: dict[str, float], what: str
) -> list[Row]:
    def row(key: str, name: str, target: float | None, note: str, baseline: float | None = None) -> Row:
        samples = timings[name]
        p50, most = statistics.median(samples), max(samples)
        summary = f"{note}; p50 {p50:.1f} ms, max {most:.1f} ms, {len(samples)} calls"
        kept = [round(sample, 3) for sample in samples]
        return Row(
            f"{key}_{label}_{db}",
            _p99(samples),
            "ms",
            target=target,
            baseline=baseline,
            samples=kept,
            note=summary,
        )

    return [
        row("latest_p99_ms", "latest", LATEST_TARGET_MS, "/latest pages 1-200"),
        row("latest_any_page_p99_ms", "latest_any", None, "/latest, any page (deep OFFSETs)"),
        row(
            "search_p99_ms",
            "search",
            SEARCH_TARGET_MS,
            f"{len(QUERIES)} queries x pages 1-3, counted up to {SEARCH_COUNT_CAP:,}",
            baseline=_p99(timings["search_exact"]),
        ),
        row("search_exact_count_p99_ms", "search_exact", None, "the same, once, every match counted"),
        row("search_short_p99_ms", "search_short", None, "the same without CJK words of 3+ characters"),
        Row(f"search_index_mb_{label}_{db}", built["index_mb"], "MB", note=what),
        Row(f"search_index_build_s_{label}_{db}", built["build_s"], "s",
            note="indexing after a bulk load of the posts (when the database was built; it is kept)"),
    ]  # fmt: skip


def latest_search(ctx: Context) -> list[Row]:
    """Time /latest and /search at 100,000 posts (10,000 with --quick) on SQLite and PostgreSQL.

    The databases are built once and kept in bench/work (the first run takes some minutes);
    they are built again when the corpus, the search text, the tokens or the schema change.
    """
    count = QUICK if ctx.quick else FULL
    label = f"{count // 1000}k"
    built = Built(ctx.work / f"search-{label}", count, _key(count))
    built.folder.mkdir(parents=True, exist_ok=True)
    rows = asyncio.run(_on_sqlite(built, label))
    return rows + asyncio.run(_on_postgres(built, label))
