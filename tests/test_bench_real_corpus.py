"""The Chinese-math-blog benchmark corpus has the shape the benchmark claims (bench/real_corpus.py)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import yaml

from bench.real_corpus import (
    CODE_FROM,
    MARKER,
    MAX_BYTES,
    MIN_BYTES,
    ensure_real_corpus,
    ensure_refused_corpus,
    make_real_post,
)

COUNT = 20
CJK = "\u4e00-\u9fff"
# A formula written straight against a CJK character, on either side: 其中$\alpha_t$为学习率.
MATH_AGAINST_CJK = re.compile(rf"[{CJK}]\$[^$\s][^$\n]*\$|\$[^$\s][^$\n]*\$[{CJK}]")
DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}):(\d{2}))?")

NOT_PADDED = re.compile(r"\d{4}-(\d-.*|\d\d-\d(?!\d).*)")


def split(text: str) -> tuple[dict[str, object], str]:
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    meta = yaml.load(text[4:end], Loader=yaml.BaseLoader)  # every value as text, dates included
    assert isinstance(meta, dict)
    return meta, text[end + 5 :]


def valid_date(text: str) -> bool:
    match = DATE.fullmatch(text)
    assert match is not None, text
    try:
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def test_posts_are_chinese_math_posts_of_8_to_15_kb(tmp_path: Path) -> None:
    corpus = ensure_real_corpus(tmp_path / "real", COUNT)
    files = sorted(p for p in corpus.root.rglob("*.md"))
    assert len(files) == COUNT and not corpus.reused
    assert corpus.total_bytes == sum(p.stat().st_size for p in files)
    seen: set[str] = set()
    for path in files:
        raw = path.read_bytes()
        assert MIN_BYTES <= len(raw) <= MAX_BYTES, (path, len(raw))
        meta, body = split(raw.decode("utf-8"))
        assert valid_date(str(meta["date"])), meta  # zone-less
        assert meta["categories"] and meta["tags"] and meta["title"]
        assert len(re.findall(f"[{CJK}]", body)) > 1500  # Chinese prose, not filler
        assert MATH_AGAINST_CJK.search(body), path
        fence = body.find("```")
        assert fence == -1 or fence >= CODE_FROM, (path, fence)
        assert "\n---\n" not in body and "\n...\n" not in body  # one front matter only
        for feature, present in (
            ("bundle", path.name == "index.md"),
            ("more", "<!--more-->" in body),
            ("code", fence != -1),
            ("newcommand", "$$\\newcommand" in body),
            ("bare equation", "\n\\begin{equation}\n" in body),
            ("align", "\\begin{align}" in body),
            ("display $$", "\n$$\n" in body or "\n\n$$" in body),
            ("display \\[", "\\[\n" in body),
            ("non-padded date", NOT_PADDED.fullmatch(str(meta["date"]))),
            ("categories list", isinstance(meta["categories"], list)),
        ):
            if present:
                seen.add(feature)
    assert seen == {
        "bundle", "more", "code", "newcommand", "bare equation", "align", "display $$", "display \\[",
        "non-padded date", "categories list",
    }  # fmt: skip


def test_generation_is_deterministic_and_cached(tmp_path: Path) -> None:
    first = ensure_real_corpus(tmp_path / "real", COUNT)
    again = ensure_real_corpus(tmp_path / "real", COUNT)
    assert again.reused and again.total_bytes == first.total_bytes
    post = make_real_post(7)
    assert (first.root / post.relative).read_text(encoding="utf-8") == post.text == make_real_post(7).text
    (first.root / MARKER).unlink()  # an interrupted run: generated again, identically
    redone = ensure_real_corpus(tmp_path / "real", COUNT)
    assert not redone.reused and (redone.root / post.relative).read_text(encoding="utf-8") == post.text


def test_refused_tree_is_the_clean_tree_plus_broken_files_of_each_kind(tmp_path: Path) -> None:
    clean = ensure_real_corpus(tmp_path / "real", COUNT)
    refused = ensure_refused_corpus(tmp_path / "refused", clean, 10)
    assert (refused.posts, refused.broken) == (COUNT, 10)
    clean_files = {p.relative_to(clean.root).as_posix() for p in clean.root.rglob("*.md")}
    all_files = {p.relative_to(refused.root).as_posix() for p in refused.root.rglob("*.md")}
    assert clean_files < all_files and len(all_files) == COUNT + 10
    slugs = {make_real_post(i).slug for i in range(COUNT)}
    kinds: dict[str, int] = {}
    for relative in sorted(all_files - clean_files):
        raw = (refused.root / relative).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            kinds["not utf-8"] = kinds.get("not utf-8", 0) + 1
            continue
        if not re.search(r"^---$", text[4:], re.MULTILINE):
            kind = "unclosed"
        else:
            try:
                meta, _ = split(text)
            except yaml.YAMLError:
                kind = "bad yaml"
            else:
                slug = meta.get("slug") or relative.split("/")[-2]
                if not valid_date(str(meta["date"])):
                    kind = "bad date"
                else:
                    assert slug in slugs, relative
                    kind = "duplicate"
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds == {"not utf-8": 2, "unclosed": 2, "bad yaml": 2, "bad date": 2, "duplicate": 2}
