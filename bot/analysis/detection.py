"""What language a text is in: its script where only one language of ours writes it, else
py3langid's naive Bayes model (offline, in the wheel), restricted to the languages we analyze;
a hint (a member's Discord locale) decides when the text is too short or the model unsure."""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from py3langid.langid import LanguageIdentifier

from bot.analysis.kept_arrays import Arrays, code_stamp, kept_arrays
from bot.analysis.kernels import compiled_module
from bot.analysis.model_file import model_arrays, model_key

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
# Fewer letters than this and the model's answer counts only when it is sure and no hint says
# otherwise: "Hola" or "Super Bowl?" tell little.
MIN_LETTERS = 12
# The model's probability above which it decides over a hint. On XQuAD's questions in its 12
# languages (612 each) this finds the language of 98.2% (hi, some taken for ne) to 100%
# without a hint, 100% with the right one and 93.6% (en with "de") or more with a wrong one.
SURE = 0.9
# A script's characters must be this share of a text's letters to decide its language alone, so
# "What does 北京 mean?" is left to the model and "Super Bowl 50 在哪里举行？" is Chinese.
SCRIPT_SHARE = 0.25
# Below this probability the hint (or the default) is not a language the text can be in. A
# text the model knows nothing of ("Hola", "ok") leaves every language near 1/40.
PLAUSIBLE = 0.001

# A document's language shows in its opening: the rest is not read.
DETECTION_CHARS = 4000
# Openings of this many characters in all are worth loading the compiled decision for (half a
# second and 100 MB of tables, on top of numba): py3langid reads about 1.5 million characters a
# second in Python, the kernel eight times as many. A corpus of a few files is detected sooner
# without it.
COMPILED_FROM_CHARS = 1_000_000

# Scripts that one language of ours writes (Han is settled below: Chinese, or Japanese by hint).
_SCRIPT_LANGUAGES = {
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "THAI": "th",
    "LAO": "lo",
    "KHMER": "km",
    "MYANMAR": "my",
    "GREEK": "el",
    "ARMENIAN": "hy",
    "TAMIL": "ta",
    "CJK": "zh",
}


def base_language(code: str) -> str:
    """The language part of a code or locale: "pt-BR" → "pt", "zh_CN" → "zh", "EN" → "en"."""
    return code.strip().replace("_", "-").split("-", 1)[0].lower()


def detect_with(text: str, hint: str | None, languages: frozenset[str]) -> str:
    """The language of ``text`` among ``languages`` (see :func:`languages.detect_language`),
    by py3langid's model itself: a process answering questions only is better without the
    compiled kernel (the numba import and its tables cost 200 MB)."""
    hinted = base_language(hint) if hint and base_language(hint) else None
    text = text[:DETECTION_CHARS]
    enough_letters, settled = _without_model(text, hinted)
    if settled is not None:
        return settled
    return _by_model(text, hinted, enough_letters, languages)


def detect_documents(texts: Sequence[str], languages: frozenset[str]) -> list[str]:
    """:func:`detect_with` of each text with no hint, the same answers: where a text is long
    enough that the model's best decides whatever its probability, the compiled kernel finds
    it when it is certain to be the model's own, in one call for all the texts (when it is
    loaded already, or the texts are enough to be worth loading it)."""
    openings = [text[:DETECTION_CHARS] for text in texts]
    settled = [_without_model(text, None) for text in openings]
    found = [language for _, language in settled]
    asked = [
        at
        for at, (enough_letters, language) in enumerate(settled)
        if language is None and enough_letters
    ]
    worth_loading = sum(len(openings[at]) for at in asked) >= COMPILED_FROM_CHARS
    model = _compiled(languages) if asked and (worth_loading or is_compiled(languages)) else None
    if model is not None:
        bests = model.best_of([openings[at] for at in asked])
        for at, best in zip(asked, bests, strict=True):
            found[at] = best
    return [
        _by_model(openings[at], None, settled[at][0], languages) if language is None else language
        for at, language in enumerate(found)
    ]


def _without_model(text: str, hinted: str | None) -> tuple[bool, str | None]:
    """Whether ``text`` has :data:`MIN_LETTERS` letters, and its language when that is settled
    without the model: by the hint (or the default) when it has no letters, or by its script."""
    if text.isascii():  # no script to settle, and its letters are counted only as far as asked
        letter_count = _ascii_letters(text[:_ASCII_OPENING_CHARS])
        if letter_count < MIN_LETTERS:
            letter_count = _ascii_letters(text)
        settled = None if letter_count else hinted or DEFAULT_LANGUAGE
        return letter_count >= MIN_LETTERS, settled
    letter_count, letters = _letter_counts(text)
    if not letter_count:
        return False, hinted or DEFAULT_LANGUAGE
    return letter_count >= MIN_LETTERS, _language_of_script(letters, letter_count, hinted)


def _by_model(
    text: str, hinted: str | None, enough_letters: bool, languages: frozenset[str]
) -> str:
    """py3langid's decision for ``text``, which has :data:`MIN_LETTERS` letters or not, the
    hint (or the default) deciding where the text is too short or the model unsure."""
    ranked = _identifier(languages).rank(text)
    best, probability = ranked[0]
    if hinted is None:
        if probability >= SURE or enough_letters:
            return str(best)
        preferred = DEFAULT_LANGUAGE
    else:
        if probability >= SURE and enough_letters:
            return str(best)
        preferred = hinted
    # The hint (or the default) decides only where the model finds it plausible: a hint of
    # "en" never makes a sentence in Devanagari English.
    plausible = {str(language) for language, share in ranked if share >= PLAUSIBLE}
    return preferred if preferred in plausible else str(best)


# Every byte but an ASCII letter: deleting them from UTF-8 leaves the text's ASCII letters.
_ASCII_NON_LETTERS = bytes(b for b in range(256) if not chr(b).isalpha() or b > 127)
# Every ASCII byte: deleting them from UTF-8 leaves the other characters' whole sequences.
_ASCII = bytes(range(128))
# An ASCII text's opening that nearly always holds MIN_LETTERS letters: counting them in a
# document's whole opening took three times as long (1.6 µs against 0.6 on the bench corpus).
_ASCII_OPENING_CHARS = 64


def _letter_counts(text: str) -> tuple[int, dict[str, int]]:
    """How many letters ``text`` has, and how often each letter outside ASCII occurs, in order
    of first occurrence (no ASCII letter has a script of :data:`_SCRIPT_LANGUAGES`)."""
    # Byte deletions run in C where a regular expression or a loop steps through characters.
    encoded = text.encode("utf-8", "surrogatepass")
    ascii_letters = len(encoded.translate(None, _ASCII_NON_LETTERS))
    outside = Counter(encoded.translate(None, _ASCII).decode("utf-8", "surrogatepass"))
    letters = {char: count for char, count in outside.items() if char.isalpha()}
    return ascii_letters + sum(letters.values()), letters


def _ascii_letters(text: str) -> int:
    """How many letters the ASCII ``text`` has."""
    return len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))


def _language_of_script(
    letters: dict[str, int], letter_count: int, hinted: str | None
) -> str | None:
    """The language a script settles alone, if one does: ``letters`` counts each letter outside
    ASCII, of ``letter_count`` letters in all."""
    counts: dict[str, int] = {}
    for letter, occurrences in letters.items():
        script = _script(letter)
        if script is not None:
            counts[script] = counts.get(script, 0) + occurrences
    if not counts:
        return None
    script, count = max(counts.items(), key=lambda item: item[1])
    if count < SCRIPT_SHARE * letter_count:
        return None
    if "HIRAGANA" in counts or "KATAKANA" in counts:
        return "ja"
    if script == "CJK" and hinted == "ja":
        return "ja"  # kanji alone: a Japanese member's question
    return _SCRIPT_LANGUAGES[script]


@lru_cache(maxsize=4096)
def _script(letter: str) -> str | None:
    """The script of ``letter`` if it is one of :data:`_SCRIPT_LANGUAGES`'s, by its name."""
    name = unicodedata.name(letter, "")
    first = name.split(" ", 1)[0]
    return first if first in _SCRIPT_LANGUAGES else None


def load_model(languages: frozenset[str]) -> None:
    """Load the model for ``languages`` now, so the first detection does not wait for it."""
    _identifier(languages)


def load_compiled(languages: frozenset[str]) -> None:
    """Load (or compile) the compiled decision for ``languages`` now, in a process about to
    fork workers that detect documents' languages."""
    _compiled(languages)


def is_compiled(languages: frozenset[str]) -> bool:
    """Whether the compiled decision for ``languages`` is loaded (or numba found missing)."""
    return languages in _COMPILED


def unload_compiled() -> None:
    """Let the compiled decision's tables (about 100 MB) go once a build is done with them."""
    _COMPILED.clear()


@lru_cache(maxsize=4)
def _identifier(languages: frozenset[str]) -> LanguageIdentifier:
    """py3langid's model kept to ``languages``, loaded once (mapped from the kept arrays: see
    :mod:`model_file`)."""
    return identifier_of(model_arrays(languages))


def identifier_of(arrays: Arrays) -> LanguageIdentifier:
    """py3langid's identifier over its model's arrays (:data:`model_file.ARRAYS`), as
    ``LanguageIdentifier.from_model_file`` makes it."""
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        _machine_words(arrays["nextmove"]),
        arrays["out_feat"].tolist(),
        norm_probs=True,
        tk_row=_machine_words(arrays["nextmove_row"]),
    )


def _machine_words(values: Any) -> memoryview:
    """Unsigned integers as py3langid's automaton walks them: indexed one at a time, each a
    Python int (a view of the array, where a stdlib array would be a copy)."""
    return np.ascontiguousarray(values).data


# The arrays :func:`detection_kernel.best_columns` takes, derived from the model's.
TABLES = ("moves", "features", "start", "table", "prior", "labels", "shared")
_BLOCK = 1 << 20


def kernel_tables(arrays: Arrays) -> Arrays:
    """The model's arrays (kept to our languages) as :func:`detection_kernel.best_columns`
    takes them."""
    following = arrays["nextmove"]
    rows = arrays["nextmove_row"]
    outputs = np.asarray(arrays["out_feat"], dtype=np.int32)
    # Row numbers rather than offsets: 16 bits each keeps the table the walk reads from one
    # byte to the next in the processor's cache (20 MB rather than 40).
    row_type = np.uint16 if rows.max() <= np.iinfo(np.uint16).max else np.uint32
    moves = np.empty(following.size, dtype=row_type)
    features = np.empty(following.size, dtype=np.int32)
    # A block at a time: indexing converts the whole index array to 64 bits otherwise.
    for first in range(0, following.size, _BLOCK):
        block = following[first : first + _BLOCK]
        moves[first : first + _BLOCK] = rows[block]
        features[first : first + _BLOCK] = outputs[block]
    classes = arrays["classes"].tolist()
    numbers = {label: number for number, label in enumerate(dict.fromkeys(classes))}
    return {
        "moves": moves,
        "features": features,
        "start": np.array([rows[0]], dtype=np.int64),
        "table": np.ascontiguousarray(arrays["ptc"], dtype=np.float32),
        "prior": np.asarray(arrays["pc"], dtype=np.float32),
        "labels": np.array([numbers[c] for c in classes], dtype=np.int64),
        "shared": np.array([classes.count(c) > 1 for c in classes]),
    }


class _CompiledModel:
    """The model's arrays as :func:`detection_kernel.best_columns` takes them."""

    def __init__(self, tables: Arrays, classes: Sequence[str], kernel: Any) -> None:
        self._kernel = kernel
        self._moves = tables["moves"]
        self._features = tables["features"]
        self._start = int(tables["start"][0])
        self._table = tables["table"]
        self._prior = tables["prior"]
        self._labels = tables["labels"]
        self._shared = tables["shared"]
        self._classes = [str(c) for c in classes]
        self._scratch = threading.local()

    def fits(self) -> bool:
        """Whether the kernel's arithmetic holds for this model: it takes the sum of a
        column's terms' magnitudes to be its negated sum, so every entry must be negative."""
        return bool((self._table < 0).all())

    def best_of(self, texts: Sequence[str]) -> list[str | None]:
        """The language py3langid ranks first for each text; ``None`` where that is not
        certain."""
        counts = getattr(self._scratch, "counts", None)
        if counts is None:
            # One count per feature, and one of the bytes that end none.
            counts = self._scratch.counts = np.zeros(self._table.shape[0] + 1, dtype=np.int32)
        encoded = [LanguageIdentifier._encode(text) for text in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(data) for data in encoded], out=offsets[1:])
        columns = self._kernel(
            np.frombuffer(b"".join(encoded), dtype=np.uint8),
            offsets,
            self._moves,
            self._features,
            self._start,
            self._table,
            self._prior,
            self._labels,
            self._shared,
            counts,
        )
        return [None if column < 0 else self._classes[column] for column in columns.tolist()]


# The compiled decision by language set, once loaded (``None``: numba is missing or off).
_COMPILED: dict[frozenset[str], _CompiledModel | None] = {}


def _compiled(languages: frozenset[str]) -> _CompiledModel | None:
    """The compiled decision for ``languages`` when numba is installed (and not switched off
    with ``CORPUSBOT_NO_NUMBA``); compiled, or loaded from numba's cache, once."""
    if languages not in _COMPILED:
        _COMPILED[languages] = _compiled_model(languages)
    return _COMPILED[languages]


def _compiled_model(languages: frozenset[str]) -> _CompiledModel | None:
    kernels = compiled_module("detection_kernel")
    if kernels is None:
        return None
    arrays = model_arrays(languages)
    key = model_key(languages)
    tables = (
        kernel_tables(arrays)
        if key is None  # pragma: no cover - py3langid's install
        else kept_arrays(
            "langid-tables", f"{key}-{code_stamp(__file__)}", TABLES, lambda: kernel_tables(arrays)
        )
    )
    model = _CompiledModel(tables, arrays["classes"].tolist(), kernels.best_columns)
    if not model.fits():  # pragma: no cover - depends on py3langid's model
        log.debug("compiled language detection off: the model's table has a non-negative entry")
        return None
    model.best_of(["compile"])
    return model
