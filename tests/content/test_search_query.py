"""Query parsing and the search rules, and the tokens each database indexes, held to the rules."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.search_query import (
    MAX_TERMS,
    RUN_END,
    TAG_MARK,
    TITLE_MARK,
    Document,
    fts_meta,
    fts_piece,
    fts_stream,
    fts_tags,
    is_cjk,
    lexemes,
    matches,
    parse_query,
    split_list,
    split_terms,
    tag_token,
    title_hit,
    title_lexemes,
)


def doc(title="", tags=(), category="", slug="", text=""):
    return Document(title, list(tags), category, slug, text)


def test_terms_split_on_whitespace_and_full_width_separators():
    assert split_terms("扩散，模型、采样；a,b;c\u3000d  e") == [
        "扩散",
        "模型",
        "采样",
        "a",
        "b",
        "c",
        "d",
        "e",
    ]
    assert split_list("生成模型，强化学习、Machine Learning；Python") == [
        "生成模型", "强化学习", "Machine Learning", "Python",
    ]  # fmt: skip


def test_terms_become_pieces_and_tags():
    query = parse_query("扩散 #Diffusion DIFF-Model gpt4模型")
    assert [(t.pieces, t.tag) for t in query.terms] == [
        (("扩散",), None), ((), "diffusion"), (("diff", "model"), None), (("gpt4", "模型"), None),
    ]  # fmt: skip
    assert query.text == "扩散 #Diffusion DIFF-Model gpt4模型"
    assert query.highlights() == ["model", "diff", "gpt4", "扩散", "模型"]


def test_hostile_terms_reduce_to_letters_or_nothing():
    query = parse_query("\" * NEAR( % _ \\ : & | ! ( ) ' -- ; DROP")
    assert [t.pieces for t in query.terms] == [("near",), ("drop",)]
    assert parse_query("%").terms == () and parse_query("#").terms == ()
    assert len(parse_query(" ".join(f"w{i}" for i in range(20))).terms) == MAX_TERMS


def test_cjk_pieces_match_anywhere_and_words_at_a_word_start():
    post = doc(title="扩散模型入门", text="Score-based models; DDPM 与 flow matching。")
    for found in ("扩散", "散模", "扩散模型入门", "score", "BASED", "ddpm", "flow-match", "模"):
        assert matches(parse_query(found), post), found
    for missing in ("模扩", "core", "atching", "门入", "扩散 相机"):
        assert not matches(parse_query(missing), post), missing


def test_tags_match_whole_and_plain_terms_match_inside_tags():
    post = doc(tags=["Diffusion", "score-matching"])
    assert matches(parse_query("#diffusion"), post) and matches(parse_query("#DIFFUSION"), post)
    assert not matches(parse_query("#diff"), post) and not matches(parse_query("#score"), post)
    assert matches(parse_query("#score-matching"), post)
    assert matches(parse_query("diffusion"), post) and matches(parse_query("matching"), post)


def test_title_hits():
    post = doc(title="深度相机", text="扩散 diffusion")
    assert title_hit(parse_query("扩散 相机"), post)
    assert not title_hit(parse_query("扩散 diffusion"), post)
    assert not title_hit(parse_query("#相机"), post)


def test_the_stream_has_cjk_pairs_and_run_ends():
    assert fts_stream("扩散模型，Diffusion-based 扩 散。扩abc散").split() == [
        "扩散", "散模", "模型", "型" + RUN_END, "，diffusion-based", "扩" + RUN_END, "散" + RUN_END,
        "。", "扩" + RUN_END, "abc", "散" + RUN_END,
    ]  # fmt: skip
    assert fts_stream("a\ue000b ǂǀ").split() == ["a", "b"]
    assert (
        fts_piece("扩") == '"扩"*' and fts_piece("扩散") == '"扩散"' and fts_piece("扩散模") == '"扩散 散模"'
    )
    tags = fts_tags(["扩散模型", "VAE"])
    assert tags.split()[-2:] == [tag_token("扩散模型"), tag_token("vae")]


def test_lexemes():
    found = set(lexemes(doc(title="扩散模型", tags=["VAE"], text="Diffusion 模型。")))
    assert {"扩", "扩散", "散模", "模型", "diffusion", TITLE_MARK + "扩散", tag_token("vae"), "vae"} <= found
    assert TITLE_MARK + "diffusion" not in found
    assert set(title_lexemes("扩散模型 ＶＡＥ-2")) == {
        "扩", "散", "模", "型", "扩散", "散模", "模型", "扩散模", "散模型", "ｖａｅ", "2"
    }  # fmt: skip
    assert all(len(t) <= 64 for t in lexemes(doc(text="x" * 500)))
    assert tag_token("VAE").startswith(TAG_MARK)


# --- the index rules, simulated, against the reference ----------------------------------------

TOKEN = re.compile(r"[^\W_]+")  # what unicode61 reads from a stream: runs of letters and digits


def fts_has(piece, streams):
    """SQLite's rules: a CJK piece's pairs as one token or a phrase, else a token prefix."""
    for stream in streams:
        tokens = TOKEN.findall(stream)
        if is_cjk(piece) and len(piece) > 1:
            pairs = [piece[i : i + 2] for i in range(len(piece) - 1)]
            if any(tokens[i : i + len(pairs)] == pairs for i in range(len(tokens))):
                return True
        elif any(token.startswith(piece) for token in tokens):
            return True
    return False


def lexeme_has(piece, found):
    """PostgreSQL's lossless part: a CJK piece's characters or pairs, a word a lexeme prefix."""
    if is_cjk(piece):
        grams = [piece] if len(piece) <= 2 else [piece[i : i + 2] for i in range(len(piece) - 1)]
        return all(gram in found for gram in grams)
    return any(lexeme.startswith(piece) and lexeme[0] not in (TITLE_MARK, TAG_MARK) for lexeme in found)


ALPHABET = st.sampled_from([*"扩散模型采样ab AB-，。_\u0301é1", "\ue000", "ǂ", "İ"])
TEXT = st.text(ALPHABET, max_size=30)


@settings(max_examples=500, deadline=None)
@given(title=TEXT, text=TEXT, tag=TEXT, query=st.text(ALPHABET, min_size=1, max_size=6))
def test_both_databases_index_rules_agree_with_the_reference(title, text, tag, query):
    post = doc(title=title, tags=[tag], text=text)
    parsed = parse_query(query)
    streams = [fts_stream(title), fts_tags([tag]), fts_meta("", ""), fts_stream(text)]
    found = set(lexemes(post))
    for term in parsed.plain:
        reference = matches(parsed.__class__((term,)), post)
        assert all(fts_has(piece, streams) for piece in term.pieces) == reference, (term, streams)
        if reference:
            assert all(lexeme_has(piece, found) for piece in term.pieces)
        if all(not is_cjk(p) or len(p) <= 2 for p in term.pieces):
            assert all(lexeme_has(piece, found) for piece in term.pieces) == reference
        # A title hit is found among the title's own lexemes.
        if title_hit(parsed.__class__((term,)), post):
            assert all(lexeme_has(piece, set(title_lexemes(title))) for piece in term.pieces)
