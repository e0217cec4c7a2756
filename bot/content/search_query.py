"""What /search means, in one place: a query's terms, and the tokens both databases index.

A query is split into terms on whitespace and on ASCII and full-width separators (，、；,;). A term
`#tag` matches a post with that tag (whole tag, any case). Any other term is cut into *pieces*:
runs of CJK characters and words of other letters and digits (punctuation inside a term separates
pieces, as a space would). A post matches a term when it matches every piece, in its title, body
text, a tag, its category or its slug:

- a CJK piece anywhere as a substring (Chinese has no spaces: 扩散 finds 扩散模型);
- a word at the start of a word, in any case (`diff` finds Diffusion, `diffusion` finds
  diffusion-based; `fusion` does not find diffusion: English has spaces, and a two-letter
  fragment such as `rl` inside other words would match nearly every post).

All terms must match. Posts whose title matches a term come first, then the rest, newest first.

The same rules are carried out three ways, and tests hold them equal: `matches` here (the
reference, also used for posts not yet in the search index), SQLite's FTS5 over `fts_stream`
(overlapping CJK character pairs and a run-end mark, so a CJK piece is one token or an exact
phrase of pairs), and PostgreSQL's GIN index over `lexemes` (CJK characters, pairs and triples, words,
title and tag markers: a CJK piece of up to three characters is one lexeme; a longer one is
checked against the text after its triples narrowed the posts down).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import add

MAX_TERMS = 8
MAX_WORD = 64  # a longer word is indexed and looked up by its first 64 characters
# Full-width and ASCII list separators: commas, the ideographic comma, semicolons.
SEPARATORS = re.compile(r"[,，、;；]")
_TERM_SPLIT = re.compile(r"[\s,，、;；]+")
# Characters that read one at a time: Han (with extensions and compatibility forms), kana,
# Hangul, bopomofo, radicals and the iteration marks.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u30ff"
    "\u3100-\u312f\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
    "\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_SPLIT = re.compile(f"([{_CJK}]+)")
# Letters and digits that are not CJK; the click letters ǀǁǂǃ mark titles and tags in the index.
_WORD = re.compile(f"[^\\W_{_CJK}\u01c0-\u01c3]+")
_NOT_AFTER_WORD = f"(?<![^\\W_{_CJK}\u01c0-\u01c3])"  # a word matches only at a word's start
_PIECE = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}\u01c0-\u01c3]+")
# Read as spaces when indexing: private use (FTS5's unicode61 tokenizer takes it for letters) and
# the click letters that mark run ends, titles and tags.
_RESERVED = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff\u01c0-\u01c3]")
RUN_END = "ǀ"  # SQLite: the mark on the last character of a CJK run
TITLE_MARK = "ǁ"  # PostgreSQL: a lexeme found in the title
TAG_MARK = "ǂ"  # both: a whole tag, by a hash of its lower-cased text


def split_list(text: str) -> list[str]:
    """Split a list typed with ASCII or full-width commas, ideographic commas or semicolons."""
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def split_terms(text: str) -> list[str]:
    """Split a query into terms on whitespace (U+3000 included) and on list separators."""
    return [term for term in _TERM_SPLIT.split(text) if term]


def is_cjk(piece: str) -> bool:
    """Say whether a piece is a run of CJK characters (else it is a word)."""
    return _CJK_RUN.fullmatch(piece) is not None


def pieces(text: str) -> list[str]:
    """Cut text into lower-cased CJK runs and words (words cut to MAX_WORD characters)."""
    return [piece if is_cjk(piece) else piece[:MAX_WORD] for piece in _PIECE.findall(text.lower())]


def find_piece(lowered: str, piece: str) -> int:
    """Return where a piece first matches in lower-cased text (-1: nowhere), by the search rules."""
    if is_cjk(piece):
        return lowered.find(piece)
    found = re.search(_NOT_AFTER_WORD + re.escape(piece), lowered)
    return found.start() if found else -1


def tag_key(tag: str) -> str:
    """Return a tag as tags are compared: NFC, trimmed, lower-cased."""
    return unicodedata.normalize("NFC", tag).strip().lower()


def tag_token(tag: str) -> str:
    """Return the index token that stands for one whole tag, in any case."""
    return TAG_MARK + hashlib.blake2b(tag_key(tag).encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a query: a tag (`#diffusion`), or the pieces of a plain term."""

    text: str  # as typed
    pieces: tuple[str, ...] = ()
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: at most MAX_TERMS terms, each able to match something."""

    terms: tuple[Term, ...]

    @property
    def plain(self) -> tuple[Term, ...]:
        """The terms that are not tags: they decide which posts are title hits."""
        return tuple(term for term in self.terms if term.tag is None)

    @property
    def text(self) -> str:
        """The query as it is shown back to the reader."""
        return " ".join(term.text for term in self.terms)

    def highlights(self) -> list[str]:
        """Return the pieces a snippet looks for, longest first."""
        found = {piece for term in self.plain for piece in term.pieces}
        return sorted(found, key=lambda piece: (-len(piece), piece))


def parse_query(text: str) -> SearchQuery:
    """Parse what a reader typed; terms that can match nothing (`%`, `"`) are left out."""
    terms: list[Term] = []
    for raw in split_terms(text):
        if len(terms) == MAX_TERMS:
            break
        if raw.startswith("#") and len(raw) > 1:
            terms.append(Term(raw, tag=tag_key(raw[1:])))
        elif found := pieces(raw):
            terms.append(Term(raw, tuple(found)))
    return SearchQuery(tuple(terms))


@dataclass(frozen=True, slots=True)
class Document:
    """The searchable fields of one post."""

    title: str
    tags: Sequence[str]
    category: str
    slug: str
    text: str  # the post's search_text

    def fields(self) -> tuple[str, ...]:
        """Return every field a plain term is looked for in."""
        return (self.title, *self.tags, self.category, self.slug, self.text)


class _Fields:
    """A document's fields, and their words once they are needed."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self._words: list[str] | None = None

    def words(self) -> list[str]:
        if self._words is None:
            self._words = [w[:MAX_WORD] for field in self.fields for w in _WORD.findall(field.lower())]
        return self._words

    def has(self, term: Term) -> bool:
        for piece in term.pieces:
            if is_cjk(piece):
                if not any(piece in field for field in self.fields):
                    return False
            elif not any(word.startswith(piece) for word in self.words()):
                return False
        return True


def matches(query: SearchQuery, document: Document) -> bool:
    """Say whether the document matches every term of the query (the reference rules)."""
    fields = _Fields(document.fields())
    tags = {tag_key(tag) for tag in document.tags}
    return bool(query.terms) and all(
        term.tag in tags if term.tag is not None else fields.has(term) for term in query.terms
    )


def title_hit(query: SearchQuery, document: Document) -> bool:
    """Say whether the title alone matches some plain term: such posts are listed first."""
    title = _Fields((document.title,))
    return any(title.has(term) for term in query.plain)


# --- what the databases index ----------------------------------------------------------------


def fts_stream(text: str) -> str:
    """Return tokens for SQLite's unicode61 tokenizer: CJK character pairs, and words as they are.

    Each CJK character is written with the one after it (扩散模型: 扩散 散模 模型), and the last one of
    a run with the end mark (型ǀ): a CJK piece of two characters is one token, a longer one a phrase
    of pairs, a single character the prefix of a token, and no phrase reaches past a run's end.
    """
    lowered = text.lower()
    if _RESERVED.search(lowered):
        lowered = _RESERVED.sub(" ", lowered)
    parts = _CJK_SPLIT.split(lowered)  # other text, a CJK run, other text, ...
    parts[1::2] = [_pairs(run) for run in parts[1::2]]
    return "".join(parts)


def _pairs(run: str) -> str:
    if len(run) == 1:
        return f" {run}{RUN_END} "
    return f" {' '.join(map(add, run, run[1:]))} {run[-1]}{RUN_END} "


def fts_piece(piece: str) -> str:
    """Return the FTS5 query for one piece (pieces hold only letters and digits: quoting is enough)."""
    if not is_cjk(piece):
        return f'"{piece}"*'
    if len(piece) == 1:
        return f'"{piece}"*'  # any pair it starts, or its run's end
    return '"' + " ".join(map(add, piece, piece[1:])) + '"'


def fts_tags(tags: Iterable[str]) -> str:
    """Return the tags column: each tag's tokens, then each whole-tag token."""
    tags = list(tags)
    return " ".join([*(fts_stream(tag) for tag in tags), *(tag_token(tag) for tag in tags)])


def fts_meta(category: str, slug: str) -> str:
    """Return the column of the category and the slug."""
    return f"{fts_stream(category)} {fts_stream(slug)}"


def _grams(text: str, into: set[str], mark: str = "") -> None:
    lowered = text.lower()
    for run in _CJK_RUN.findall(lowered):
        if mark:
            into.update(mark + char for char in run)
            into.update(mark + pair for pair in map(add, run, run[1:]))
        else:
            into.update(run)
            into.update(map(add, run, run[1:]))
            into.update(map(_join3, run, run[1:], run[2:]))
    into.update(mark + word[:MAX_WORD] for word in _WORD.findall(lowered))


def _join3(first: str, second: str, third: str) -> str:
    return first + second + third


def lexemes(document: Document) -> list[str]:
    """PostgreSQL's lexemes for a post: CJK characters, pairs and triples, words, marked title and tags."""
    found: set[str] = set()
    for field in document.fields():
        _grams(field, found)
    _grams(document.title, found, TITLE_MARK)
    found.update(tag_token(tag) for tag in document.tags)
    return sorted(found)


def title_lexemes(title: str) -> list[str]:
    """PostgreSQL's lexemes for a title alone, unmarked: small enough to stay in the row."""
    found: set[str] = set()
    _grams(title, found)
    return sorted(found)
