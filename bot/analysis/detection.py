"""What language a text is in: its script where only one language of ours writes it, else
py3langid's naive Bayes model (offline, in the wheel), restricted to the languages we analyze;
a hint (a member's Discord locale) decides when the text is too short or the model unsure."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

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
    """The language of ``text`` among ``languages`` (see :func:`languages.detect_language`)."""
    hinted = base_language(hint) if hint and base_language(hint) else None
    text = text[:DETECTION_CHARS]
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return hinted or DEFAULT_LANGUAGE
    by_script = _language_of_script(letters, hinted)
    if by_script is not None:
        return by_script
    ranked = _identifier(languages).rank(text)
    best, probability = ranked[0]
    if hinted is None:
        if probability >= SURE or len(letters) >= MIN_LETTERS:
            return str(best)
        preferred = DEFAULT_LANGUAGE
    else:
        if probability >= SURE and len(letters) >= MIN_LETTERS:
            return str(best)
        preferred = hinted
    # The hint (or the default) decides only where the model finds it plausible: a hint of
    # "en" never makes a sentence in Devanagari English.
    plausible = {str(language) for language, share in ranked if share >= PLAUSIBLE}
    return preferred if preferred in plausible else str(best)


def _language_of_script(letters: list[str], hinted: str | None) -> str | None:
    """The language a script in ``letters`` settles alone, if one does."""
    counts: dict[str, int] = {}
    for letter in letters:
        script = _script(letter)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    script, count = max(counts.items(), key=lambda item: item[1])
    if count < SCRIPT_SHARE * len(letters):
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


@lru_cache(maxsize=4)
def _identifier(languages: frozenset[str]) -> LanguageIdentifier:
    """py3langid's model kept to ``languages`` (loaded once: about a second)."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(languages & set(identifier.labels)))
    return identifier
