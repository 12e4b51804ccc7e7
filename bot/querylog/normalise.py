"""Questions as grouped for counting: the same question however it was typed."""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION_EDGES = re.compile(r"^[\s\"'“”‘’¿¡.,;:!?]+|[\s\"'“”‘’.,;:!?]+$")


def normalise_query(query: str | None) -> str:
    """A question as grouped for counting: case-folded, spaces collapsed, edge punctuation off.

    NFKC first, as keyboards differ: é typed as one code point or as e + a combining accent, and
    CJK full-width letters and ``？``, are the same question.
    """
    if query is None:
        return ""
    # NFKC before casefold, or it brings capitals back ("㎒" is "MHz", "ℌ" is "H"); and after
    # it, as casefold can decompose ("ǰ" folds to j + a combining caron).
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", query).casefold())
    folded = " ".join(folded.split())
    return _PUNCTUATION_EDGES.sub("", folded)
