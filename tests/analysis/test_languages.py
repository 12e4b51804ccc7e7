"""Analysis by language: words of every script, each language's stemmer and stop words,
character pairs where words are written without spaces, and highlighting spans."""

from __future__ import annotations

import pytest

from bot.analysis.analyzer import ANALYZER
from bot.analysis.languages import NEUTRAL_LANGUAGE, analyzer_for, supported_languages
from bot.analysis.matching import find_terms, scan_terms, term_spans

# One sentence per script, and the terms its language's analyzer gives it.
SCRIPTS = [
    # Latin with accents: French and Turkish keep theirs; German's stemmer folds umlauts.
    (
        "fr",
        "Les élèves chantaient l'hymne à Noël",
        ["le", "élev", "chant", "l", "hymn", "à", "noël"],
    ),
    ("de", "Die Straße führt zu den Häusern", ["die", "strass", "fuhrt", "zu", "den", "haus"]),
    ("tr", "Öğrencilerin kitapları masada", ["öğrenci", "kitap", "masa"]),
    # Cyrillic; Russian drops its stop words ("над", "over").
    ("ru", "Спутники летали над Москвой", ["спутник", "лета", "москв"]),
    ("el", "Οι δορυφόροι πέταξαν", ["οι", "δορυφορ", "πεταξ"]),
    # Right to left; Arabic and Spanish drop their stop words ("من" "from", "los", "en").
    ("ar", "أطلقت الأقمار الصناعية من القاعدة", ["اطلق", "اقمار", "صناع", "قاعد"]),
    ("es", "Los niños juegan en el jardín", ["niñ", "jueg", "jardin"]),
    # Devanagari: a vowel sign or virama is part of its word (Python's \w splits there).
    ("hi", "हिन्दी भाषा के लेख", ["हिन्द", "भाष", "क", "लेख"]),
    # Vietnamese: no stemmer, words kept whole with their tone marks.
    ("vi", "Tiếng Việt có dấu", ["tiếng", "việt", "có", "dấu"]),
    # No spaces between words: overlapping character pairs.
    ("zh", "北京大学在中国。", ["北京", "京大", "大学", "学在", "在中", "中国"]),
    ("ja", "東京タワーは高い", ["東京", "京タ", "タワ", "ワー", "ーは", "は高", "高い"]),
    ("ko", "서울입니다", ["서울", "울입", "입니", "니다"]),
    ("th", "ภาษาไทย", ["ภา", "าษ", "ษา", "าไ", "ไท", "ทย"]),
    # Mixed scripts: a number, a Latin word and a single character among Chinese ones.
    ("zh", "2015年NFL的冠军", ["2015", "年", "nfl", "的冠", "冠军"]),
]


@pytest.mark.parametrize(("language", "text", "terms"), SCRIPTS)
def test_each_script_gets_its_words_stems_and_stop_words(
    language: str, text: str, terms: list[str]
) -> None:
    assert analyzer_for(language).tokenize(text) == terms


@pytest.mark.parametrize(("language", "text"), [(lang, text) for lang, text, _ in SCRIPTS])
def test_ranking_and_highlighting_see_the_same_terms(language: str, text: str) -> None:
    """What ranking counts (tokenize) and what snippets bold (term_spans) must agree."""
    analyzer = analyzer_for(language)
    assert [term for _, _, term in term_spans(text, analyzer=analyzer)] == analyzer.tokenize(text)


@pytest.mark.parametrize(
    ("language", "question", "passage"),
    [
        ("ru", "Когда запустили спутник?", "Спутники запускали в 1957 году."),
        ("de", "Wer gewann die Spiele?", "Die Broncos gewannen das Spiel."),
        ("el", "Πότε ξεκίνησε ο πόλεμος;", "Ο πόλεμος ξεκίνησε το 1914."),
        ("ar", "متى أطلق القمر؟", "أطلقت الأقمار في عام 1957."),
        ("zh", "北京大学在哪里？", "北京大学位于中国北京。"),
    ],
)
def test_questions_meet_passages_of_their_language(
    language: str, question: str, passage: str
) -> None:
    analyzer = analyzer_for(language)
    assert set(analyzer.tokenize(question)) & set(analyzer.tokenize(passage))


def test_accents_and_widths_fold_where_they_do_not_change_a_word() -> None:
    analyzer = analyzer_for("fr")
    assert analyzer.tokenize("ÉLÈVES") == analyzer.tokenize("élèves")
    assert analyzer_for("zh").tokenize("ＮＦＬ２０１５") == ["nfl2015"]


def test_a_locale_gets_its_language_and_an_unknown_language_the_neutral_analyzer() -> None:
    assert analyzer_for("pt-BR") is analyzer_for("pt")
    assert analyzer_for("pt").language == "pt"
    assert analyzer_for("zh-CN").language == "zh"
    assert analyzer_for("EN-us") is ANALYZER
    neutral = analyzer_for("xx")
    assert neutral.language == NEUTRAL_LANGUAGE
    assert analyzer_for("qq") is neutral  # one neutral analyzer, however many unknown codes
    # No stemming, no stop words; words of every script, pairs of Chinese characters.
    assert neutral.tokenize("The hiking हिन्दी 北京大学") == [
        "the",
        "hiking",
        "हिन्दी",
        "北京",
        "京大",
        "大学",
    ]


def test_english_is_todays_analyzer() -> None:
    assert analyzer_for("en") is ANALYZER
    assert ANALYZER.language == "en"


def test_every_snowball_language_and_the_unspaced_ones_are_supported() -> None:
    languages = supported_languages()
    snowball = "ar ca cs da de el en es eu fi fr ga hi hu hy id it lt ne nl no pl pt ro ru sv ta tr"
    assert set(snowball.split()) <= languages
    assert {"zh", "ja", "ko", "th", "vi"} <= languages
    for language in languages:
        assert analyzer_for(language).language == language


def test_find_terms_bolds_the_matched_characters_of_a_chinese_word() -> None:
    analyzer = analyzer_for("zh")
    text = "北京大学位于北京。"
    query = frozenset(analyzer.tokenize("北京大学"))  # 北京 京大 大学
    found = find_terms(text, query, analyzer=analyzer)
    # The pairs overlap; the spans do not: together they cover each matched character once.
    assert [(text[start:end], term) for start, end, term in found] == [
        ("北京", "北京"),
        ("大", "京大"),
        ("学", "大学"),
        ("北京", "北京"),
    ]
    assert found == scan_terms(text, query, analyzer=analyzer)


def test_find_terms_in_thai_and_mixed_text_points_at_the_characters() -> None:
    analyzer = analyzer_for("th")
    text = "ฉันพูดภาษาไทยได้ and English"
    query = frozenset(analyzer.tokenize("ภาษาไทย")) | frozenset(analyzer.tokenize("English"))
    found = find_terms(text, query, analyzer=analyzer)
    assert "".join(text[start:end] for start, end, _ in found) == "ภาษาไทยEnglish"
    assert [text[start:end] for start, end, _ in found][-1] == "English"


def test_find_terms_in_right_to_left_text_gives_whole_words() -> None:
    analyzer = analyzer_for("ar")
    text = "أطلقت روسيا الأقمار الصناعية"
    found = find_terms(text, frozenset(analyzer.tokenize("الأقمار")), analyzer=analyzer)
    assert [text[start:end] for start, end, _ in found] == ["الأقمار"]
