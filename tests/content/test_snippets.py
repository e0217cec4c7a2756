"""Snippets: the words around the first match, cut cleanly."""

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.snippets import ELLIPSIS, snippet

LONG = (
    "在这篇文章中我们讨论扩散模型的基本原理。" * 6
    + "Diffusion models (Ho et al.) learn to denoise step by step. " * 4
)


def test_the_first_match_in_about_eighty_characters_with_ellipses():
    found = snippet(LONG, ["denoise"])
    assert found.startswith(ELLIPSIS) and found.endswith(ELLIPSIS)
    assert "denoise" in found and 70 <= len(found) <= 100
    assert snippet(LONG, ["扩散", "denoise"]).startswith(
        "在这篇文章中我们讨论扩散"
    )  # the earliest match wins


def test_case_and_word_starts():
    assert "Diffusion" in snippet(LONG, ["DIFFUSION"])
    assert snippet(LONG, ["fusion"]) == ""  # words match at their start, as search does
    assert snippet("no match here", ["扩散"]) == ""
    assert snippet("短文扩散", ["扩散"]) == "短文扩散"


def test_latin_words_are_not_cut_in_half_when_a_gap_is_near():
    line = "alpha bravo charlie delta echo foxtrot golf hotel india juliet "
    found = snippet(line * 6, ["golf"], width=40)
    known = set(line.split())
    assert set(found.strip(ELLIPSIS).split()) <= known, found


CLUSTERS = ["e\u0301", "👩\u200d💻", "🇨🇳", "❤\ufe0f", "\ud83d\ude00", "가", "字", "a", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CLUSTERS), max_size=120), st.integers(0, 119), st.integers(10, 90))
def test_never_cuts_inside_a_character_cluster(clusters, at, width):
    clusters = [*clusters[:at], "扩散", *clusters[at:]]
    text = "".join(clusters)
    found = snippet(text, ["扩散"], width=width)
    inner = found.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
    boundaries = {0}
    for cluster in clusters:
        boundaries.add(max(boundaries) + len(cluster))
    start = text.find(inner) if inner else 0
    assert "扩散" in inner and start >= 0
    stripped_start = start + (len(inner) - len(inner.lstrip()))
    assert start in boundaries or text[start - 1 : start].isspace() or stripped_start in boundaries
    assert start + len(inner) in boundaries or text[start + len(inner) : start + len(inner) + 1].isspace()
