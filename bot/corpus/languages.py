"""Language codes as documents and settings declare them: ISO 639-1 ("de"), also written as a
locale ("pt-BR", "zh_Hans", "EN")."""

from __future__ import annotations

import re

# The corpus language setting's value for "each document's language is detected".
AUTO = "auto"

# Every ISO 639-1 code: a declared "lang" outside them is a typo ("english", "ge"), not a
# language the analysis layer could tell apart.
_CODES = """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs
    cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la
    lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj
    om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv
    sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh
    zu"""
ISO_639_1 = frozenset(_CODES.split())
# A language subtag, then any region or script subtags ("pt-BR", "zh_Hans_CN").
_LOCALE = re.compile(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*")
# How much of a bad value a warning quotes: it is whatever the corpus file held.
_QUOTED_CHARS = 20


def language_code(value: object) -> str | None:
    """The ISO 639-1 code ``value`` names ("pt-BR" → "pt"), or ``None`` when it names none."""
    if not isinstance(value, str):
        return None
    match = _LOCALE.fullmatch(value.strip())
    if match is None:
        return None
    code = match.group(1).lower()
    return code if code in ISO_639_1 else None


def not_a_language(value: object) -> str:
    """Why a declared ``lang`` is ignored, quoting a bounded piece of it."""
    shown = repr(value)
    if len(shown) > _QUOTED_CHARS:
        shown = shown[: _QUOTED_CHARS - 1] + "…"
    return f"lang {shown} is not an ISO 639-1 code such as en, de or zh, so it is ignored"
