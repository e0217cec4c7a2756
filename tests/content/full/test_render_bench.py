"""The benchmark's generated post holds what the benchmark promises, and the benchmark runs."""

from __future__ import annotations

from pathlib import Path

from bench.index_bench import Context
from bench.render_bench import full_post, math_post, render_full_post
from bot.content.full import parse_document
from bot.content.full.model import CodeBlock, Table, iter_formulas


def test_the_20000_character_post_has_the_promised_formulas_code_and_table():
    body = math_post()
    document = parse_document(full_post(body))
    formulas = list(iter_formulas(document.blocks))
    assert 19_500 <= len(body) <= 20_500
    assert sum(not display for _, display in formulas) == 60
    assert sum(display for _, display in formulas) == 15
    assert sum(isinstance(block, CodeBlock) for block in document.blocks) == 3
    assert sum(isinstance(block, Table) for block in document.blocks) == 1
    assert any("\\mathrm{KL}" in source for source, _ in formulas)  # the post's own macro, expanded


def test_the_benchmark_reports_rich_classic_and_discord(tmp_path: Path):
    rows = render_full_post(Context(tmp_path, 1000, quick=True))
    assert [row.key for row in rows] == [
        "render_full_post_ms",
        "render_full_post_classic_ms",
        "render_full_post_discord_ms",
    ]
    assert rows[0].target == 20.0 and all(row.value > 0 for row in rows)
    assert rows[0].extra["messages"] == 1 and "p99_ms" in rows[0].extra
