"""Turn a short LaTeX math snippet into plain Unicode that reads well in a chat message."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from pylatexenc.latex2text import fmt_math_text_style, get_default_latex_context_db

# pylatexenc's own parser takes ~0.3 ms for a 40-character formula and flattens the structure
# we need (`\sum_{i=1}^N` comes out as the ambiguous `∑_i=1^N`), so the small math subset is
# tokenised here; pylatexenc supplies the symbol table and the math alphabets. Building its
# table is the slow part, hence once per process.
_SYMBOL_DB = get_default_latex_context_db()

_MAX_INLINE = 80  # longer than this, an inline formula swamps a ~350-character excerpt
_MAX_DISPLAY = 60  # display math is flattened onto one line, so it gets less room
_MAX_SOURCE = 400  # bounds the work and the recursion depth on hostile input
_MAX_PART = 20  # a longer numerator, denominator or radicand loses its structure once flattened

# fmt: off
_SUB = dict(zip("0123456789+-−=()aehijklmnoprstuvxβγρφϕχ",
                "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵩᵪ", strict=True))
# `x^\top`, `x^*` and `x^\prime` are conventionally written `xᵀ`, `x*` and `x'` in plain text.
_SUP = dict(zip("0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεϵθιφϕχ⊤⊺'*∗∘",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᵋᶿᶥᵠᵠᵡᵀᵀ'**°", strict=True))
_FONTS = {"mathbf": "bold", "textbf": "bold", "boldsymbol": "bold-italic", "bm": "bold-italic",
          "mathcal": "script", "mathscr": "script", "mathbb": "doublestruck", "mathfrak": "fraktur",
          "mathsf": "sans", "mathtt": "monospace", "texttt": "monospace"}
# pylatexenc maps letters only; `\mathbf{0}` (zero vector) and `\mathbb{1}` (indicator) need digits.
_DIGIT_ZERO = {"bold": 0x1D7CE, "bold-italic": 0x1D7CE, "doublestruck": 0x1D7D8, "sans": 0x1D7E2}
# Plain letters already stand for math italic, so these keep their text unstyled.
_PLAIN = frozenset({"text", "textrm", "textit", "textnormal", "mbox", "mathrm", "mathit", "mathnormal"})
# `\bar` is a macron rather than an overline so that NFC composes `ā`, `ᾱ` into single glyphs.
_ACCENTS = {"bar": "\u0304", "overline": "\u0305", "hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303",
            "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308", "check": "\u030c", "vec": "\u20d7"}
# Common math macros missing from pylatexenc's table.
_EXTRA = {"|": "‖", "ne": "≠", "lt": "<", "gt": ">", "land": "∧", "lor": "∨", "neg": "¬", "iff": "⟺",
          "implies": "⟹", "gets": "←", "coloneqq": "≔", "colon": ":", "bot": "⊥", "models": "⊨",
          "Re": "ℜ", "Im": "ℑ", "lbrack": "[", "rbrack": "]", ">": " ",
          **{w: w for w in ("arg", "argmax", "argmin", "det", "dim", "ker", "deg", "gcd", "lg", "Pr")}}
_VULGAR = {"1/2": "½", "1/3": "⅓", "2/3": "⅔", "1/4": "¼", "3/4": "¾"}  # glyphs every chat font has
# fmt: on
# These take arguments that pylatexenc's table ignores, or (`\today`) read the clock at import.
_DENIED = frozenset({"today", "hspace", "ref", "autoref", "cref", "Cref", "eqref", "cite", "citet", "citep"})
_SIZES = frozenset(f"{s}{k}" for s in ("big", "Big", "bigg", "Bigg") for k in ("", "l", "r", "m"))
_INVISIBLE = frozenset({"displaystyle", "textstyle", "nonumber", "notag", "!"})
_INTEGRALS = frozenset({"int", "iint", "iiint", "oint"})
_DELIMITERS = frozenset("()[]|/")
_REJECTED_CHARS = frozenset("}&%$#\\")  # stray brace, alignment, comment, nested math, parameter
_NOT_BINARY = frozenset("∑∏∐∫∬∭∮∇∂√∛∜¬∞∅∀∃∄⊤⊥⋯")  # math symbols that are not infix operators
_OPENINGS = frozenset("([{⟨,;:")
_SEPARATORS = frozenset(" ,;:.!')]}⟩-")  # what may follow `a/b` without making it ambiguous
_SCRIPT_CHARS = frozenset(_SUB.values()) | frozenset(_SUP.values())

_COMB = "\u0300-\u036f\u20d0-\u20ff"
_SCR = re.escape("".join(sorted(_SCRIPT_CHARS)))
# One letter (with its accents) or one number, then any scripts: `x`, `ᾱₜ`, `10`, `σ²`.
_ATOM = rf"(?:\d+(?:\.\d+)?|[^\W\d_][{_COMB}]*)[{_SCR}]*"
_PREFIX = rf"(?:[∂∇√][{_SCR}]*)"
_ENCLOSED = r"√?\([^()]*\)"  # already parenthesised: `(a+b)`, `√(2π)`
_ATOM_RE = re.compile(_ATOM)
# `ab/c` means the same under every reading, so a juxtaposed numerator needs no parentheses ...
_NUMERATOR_RE = re.compile(rf"(?:{_PREFIX}?{_ATOM})+|{_ENCLOSED}")
# ... but `1/2σ²` is ambiguous: only one token or a differential (`dt`, `∂x²`) stays bare below.
_DENOMINATOR_RE = re.compile(rf"(?:{_PREFIX}|d)?{_ATOM}|{_ENCLOSED}")
_GRAPHEME_RE = re.compile(rf"[^\s{_COMB}][{_COMB}]*")
_ACCENT_BASE_RE = re.compile(rf"({_GRAPHEME_RE.pattern})([{_SCR}]*)")
_DIFFERENTIAL_SPACE_RE = re.compile(rf"({_PREFIX}) (?={_ATOM}(?:\W|$))")  # `\partial L` → `∂L`
_BRACKET_SPACE_RE = re.compile(r"(?<=[(\[{⟨]) | (?=[)\]}⟩])")  # `\Big( x \Big)` → `(x)`
_SCRIPT_SPACE_RE = re.compile(r" *([^\w ]) *")  # scripts are set tight: `_(t→0)`, not `_(t → 0)`
_WORD_RE = re.compile(r"[A-Za-z]{3}")
_TOKEN_RE = re.compile(r"\\(?:[A-Za-z]+|.)|\s+|.", re.DOTALL)


class _UnreadableError(Exception):
    """The formula would read worse as flattened Unicode than as a placeholder."""


class _Piece(NamedTuple):
    text: str
    alt: str | None = None  # shown instead of `text` when a neighbour would make it ambiguous
    gap: bool = False  # alt when a letter or digit follows: `log p`, `p_data x`
    right: bool = False  # alt when anything but a separator follows: `(a/b)c`, `√(ᾱₜ)𝐱₀`
    left: bool = False  # alt after a digit or a slash: `2(½)`, `x/(a/b)`
    binary: bool = False  # an infix symbol: spaced on both sides if the source spaced either
    spaced: bool = False  # the source had a space after this macro (which TeX, and we, drop)


def latex_to_unicode(source: str, *, display: bool = False) -> str | None:
    """Return readable Unicode for a LaTeX math snippet, or None when a placeholder reads better."""
    return _convert(source, display)


@lru_cache(maxsize=4096)  # pure, and the same formulas recur each time a post is re-rendered
def _convert(source: str, display: bool) -> str | None:
    if not source.strip() or len(source) > _MAX_SOURCE:
        return None
    try:
        text = _join(_Parser(source).sequence(None))
    except (_UnreadableError, RecursionError):
        return None
    if not text or len(text) > (_MAX_DISPLAY if display else _MAX_INLINE):
        return None
    # A backslash only survives from `\backslash` and the like: too rare to be worth the risk.
    return text if "\\" not in text and text.isprintable() else None


@lru_cache(maxsize=1024)
def _symbol(name: str) -> str | None:
    if name.isspace():  # `\ ` and a backslash before a line break are control spaces
        return " "
    if name in _EXTRA:
        return _EXTRA[name]
    if name in _DENIED:
        return None
    repl = getattr(_SYMBOL_DB.get_macro_spec(name), "simplify_repl", None)
    # Callables and `%s` templates consume arguments we did not parse; a newline means `\\`;
    # an empty replacement would silently drop something.
    return repl if isinstance(repl, str) and repl and "%" not in repl and "\n" not in repl else None


def _is_binary(char: str) -> bool:
    return char == "·" or (len(char) == 1 and unicodedata.category(char) == "Sm" and char not in _NOT_BINARY)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = [" " if t.isspace() else t for t in _TOKEN_RE.findall(source)]
        self.i = 0
        self.in_frac = self.in_left = self.compound = False

    def peek(self) -> str | None:
        """Skip spaces and return the next token without consuming it."""
        while self.i < len(self.tokens) and self.tokens[self.i] == " ":
            self.i += 1
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def sequence(self, end: str | None) -> list[_Piece]:
        """Parse pieces up to the `end` token (consumed), or to the end of input when None."""
        out: list[_Piece] = []
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            if token == end:
                return out
            if token in ("_", "^"):
                while out and out[-1].text == " ":  # `x _0` reads as `x_0`
                    out.pop()
                out.append(_script(self.argument(), superscript=token == "^"))
            else:
                out.append(self.atom(token))
        if end is not None:
            raise _UnreadableError  # an unclosed `{` or `\left`
        return out

    def argument(self) -> str:
        """Render a macro or script argument: a braced group or a single token."""
        token = self.peek()
        if token is None or token in ("}", "_", "^"):
            raise _UnreadableError
        self.i += 1
        return _join(self.sequence("}") if token == "{" else [self.atom(token)])

    def atom(self, token: str) -> _Piece:
        if len(token) == 1:
            if token in _REJECTED_CHARS:
                raise _UnreadableError
            return (
                _Piece(_join(self.sequence("}"))) if token == "{" else _Piece(" " if token == "~" else token)
            )
        name = token[1:]
        if name in ("operatorname", "tag") and self.peek() == "*":  # the star only moves things
            self.i += 1
        if name in _FONTS or name in _PLAIN:
            text = self.argument()
            return _Piece(_styled(text, _FONTS[name]) if name in _FONTS else text)
        if name in ("operatorname", "mathop"):
            word = self.argument()
            return _Piece(word, alt=word + " ", gap=True)
        if name in _ACCENTS:
            match = _ACCENT_BASE_RE.fullmatch(self.argument())
            if match is None:
                raise _UnreadableError  # a combining mark cannot span several characters
            return _Piece(unicodedata.normalize("NFC", match[1] + _ACCENTS[name] + match[2]))
        if name in ("frac", "dfrac", "tfrac"):
            return self.fraction()
        if name == "sqrt":
            return self.root()
        if name == "left":
            return self.delimited()
        if name in _SIZES or name == "middle":
            return _Piece(self.delimiter())
        if name in ("label", "tag"):  # equation numbering adds nothing to an excerpt
            self.argument()
            return _Piece("")
        if name in _INVISIBLE:
            return _Piece("")
        if name in _INTEGRALS and self.peek() in ("_", "^"):
            raise _UnreadableError  # `∫_0^1` flattens into something easily misread
        symbol = _symbol(name)
        if symbol is None:
            raise _UnreadableError  # an unknown macro: dropping it could change the meaning
        # The space ending a control word is syntax (`\in M`), not layout: `\alpha t` is `αt`.
        spaced = name.isalpha() and self.tokens[self.i : self.i + 1] == [" "]
        self.i += spaced
        if len(symbol) > 1 and symbol.replace(" ", "").isalpha():  # operator names: `log`, `lim sup`
            return _Piece(symbol, alt=symbol + " ", gap=True)
        return _Piece(symbol, binary=_is_binary(symbol), spaced=spaced)

    def fraction(self) -> _Piece:
        if self.in_frac:
            raise _UnreadableError  # nested fractions turn into a wall of slashes
        self.in_frac = True
        num, den = self.argument(), self.argument()
        self.in_frac = False
        if not num or not den or len(num) > _MAX_PART or len(den) > _MAX_PART:
            raise _UnreadableError
        if f"{num}/{den}" in _VULGAR:
            vulgar = _VULGAR[f"{num}/{den}"]
            return _Piece(vulgar, alt=f"({vulgar})", left=True)  # `2½` would read as 2.5
        bare_num, bare_den = _NUMERATOR_RE.fullmatch(num), _DENOMINATOR_RE.fullmatch(den)
        self.compound |= not (bare_num and bare_den)
        num, den = (num if bare_num else f"({num})"), (den if bare_den else f"({den})")
        return _Piece(f"{num}/{den}", alt=f"({num}/{den})", right=True, left=True)

    def root(self) -> _Piece:
        if self.peek() == "[":
            raise _UnreadableError  # `\sqrt[n]{x}` is rare enough not to be worth `∛`/`∜` cases
        arg = self.argument()
        if _ATOM_RE.fullmatch(arg):
            return _Piece(f"√{arg}", alt=f"√({arg})", right=True)
        if not arg or len(arg) > _MAX_PART:
            raise _UnreadableError
        return _Piece(f"√({arg})")

    def delimiter(self) -> str:
        token = self.peek()
        self.i += 1
        if token == ".":  # `\left.` is an invisible delimiter
            return ""
        if token in _DELIMITERS:
            return token
        symbol = _symbol(token[1:]) if token is not None and len(token) > 1 else None
        if symbol is None or len(symbol) != 1:
            raise _UnreadableError
        return symbol

    def delimited(self) -> _Piece:
        # `\left…\right` is for tall content; nested pairs or a fraction whose parts needed
        # parentheses come out as paren soup (`((a+b)/(c+d))²`), so only simple content stays.
        if self.in_left:
            raise _UnreadableError
        self.in_left, self.compound = True, False
        opening = self.delimiter()
        inner = _join(self.sequence("\\right"))
        closing = self.delimiter()
        if self.compound:
            raise _UnreadableError
        self.in_left = False
        return _Piece(opening + inner + closing)


def _script(arg: str, *, superscript: bool) -> _Piece:
    """Render `_X`/`^X`: Unicode script characters when every character has one."""
    table = _SUP if superscript else _SUB
    compact = arg.replace(" ", "")  # `\sum_{i = 1}` and `\sum_{i=1}` read the same
    # Index letters (`xᵢⱼ`) shrink well, but a word in tiny letters (`ℒₛᵢₘₚₗₑ`) is hard to read.
    if all(c in table for c in compact) and not _WORD_RE.search(compact):
        return _Piece("".join(table[c] for c in compact))
    mark = "^" if superscript else "_"
    tight = _SCRIPT_SPACE_RE.sub(r"\1", arg)
    # A single character or a plain word (`p_θ`, `p_data`) is unambiguous as long as no letter
    # follows directly; anything with operators or spaces needs parentheses: `𝔼_(x∼p)`.
    if _GRAPHEME_RE.fullmatch(compact) or (compact.isalnum() and not _SCRIPT_CHARS.intersection(compact)):
        return _Piece(mark + compact, alt=f"{mark}{compact} ", gap=True)
    return _Piece(f"{mark}({tight})")


def _styled(text: str, style: str) -> str:
    styled: str = fmt_math_text_style(text, style)
    zero = _DIGIT_ZERO.get(style)
    if zero is None:
        return styled
    return "".join(chr(zero + ord(c) - 48) if "0" <= c <= "9" else c for c in styled)


def _join(pieces: list[_Piece]) -> str:
    """Concatenate pieces, switching to a piece's alternative where its neighbours demand it."""
    if len(pieces) == 1:  # most macro and script arguments: nothing to arbitrate
        return pieces[0].text.strip()
    shown = [p for p in pieces if p.text]  # `\!` and `\displaystyle` must not hide a neighbour
    parts: list[str] = []
    for k, piece in enumerate(shown):
        text, after = piece.text, shown[k + 1].text[0] if k + 1 < len(shown) else ""
        last = parts[-1][-1:] if parts else ""
        if piece.binary:
            visible = "".join(parts).rstrip()[-1:]
            # A sign after an operator or an opening is unary and stays tight: `x = ±1`, `(-∞`.
            unary = not visible or visible in _OPENINGS or _is_binary(visible)
            if not unary and (piece.spaced or last == " " or after == " "):
                text = f" {text} "
        elif piece.alt is not None and (
            (piece.gap and after.isalnum() and after not in _SCRIPT_CHARS)
            or (piece.right and after and after not in _SEPARATORS and not _is_binary(after))
            or (piece.left and (last.isdigit() or last == "/"))
        ):
            text = piece.alt
        parts.append(text)
    text = " ".join("".join(parts).split())
    if " " in text:
        text = _DIFFERENTIAL_SPACE_RE.sub(r"\1", _BRACKET_SPACE_RE.sub("", text))
    return text
