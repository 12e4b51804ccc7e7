"""Cut the small XQuAD slice committed under tests/data/xquad-slice/ (run once; kept for
reproducibility).

Every 12th paragraph of the dev half (10 of 120), in all 12 languages, with the questions asked
about them. ``qa.jsonl`` names no paragraph, but XQuAD lists the questions paragraph by paragraph
in the same order in every language, so each question belongs to the first paragraph, from the
previous question's on, that holds its answer in every language (a number such as "24" can also
be in an earlier paragraph of one language, rarely of all twelve). Usage:

    .venv/bin/python scripts/make_xquad_slice.py \\
        ../shared/eval-data/xquad-dev tests/data/xquad-slice
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from bot.evaluation.qa import answer_in

LANGUAGES = ("en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "zh", "hi", "ro")
EVERY = 12  # paragraphs: 0, 12, …, 108
LICENCE = "LICENSE-CC-BY-SA-4.0.txt"

Record = dict[str, str]


def _lines(path: Path) -> list[Record]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def paragraph_of_each_question(
    paragraphs: dict[str, list[Record]], questions: dict[str, list[Record]]
) -> list[int]:
    """The paragraph each question is asked about, by position."""
    count = len(next(iter(paragraphs.values())))
    owners = []
    current = 0
    for number in range(len(questions["en"])):

        def holds(position: int, languages: tuple[str, ...], number: int = number) -> bool:
            return all(
                answer_in(questions[lang][number]["answer"], paragraphs[lang][position]["text"])
                for lang in languages
            )

        candidates = range(current, count)
        current = next(
            (p for p in candidates if holds(p, LANGUAGES)),
            next(p for p in candidates if holds(p, ("en",))),
        )
        owners.append(current)
    return owners


def main(source: Path, target: Path) -> None:
    """Write ``<lang>/corpus/xquad-<lang>.jsonl`` and ``<lang>/qa.jsonl`` of the slice."""
    paragraphs = {
        lang: _lines(source / lang / "corpus" / f"xquad-{lang}.jsonl") for lang in LANGUAGES
    }
    questions = {lang: _lines(source / lang / "qa.jsonl") for lang in LANGUAGES}
    owners = paragraph_of_each_question(paragraphs, questions)
    chosen = set(range(0, len(paragraphs["en"]), EVERY))
    for lang in LANGUAGES:
        folder = target / lang
        (folder / "corpus").mkdir(parents=True, exist_ok=True)
        kept = [p for n, p in enumerate(paragraphs[lang]) if n in chosen]
        asked = [
            q
            for q, owner in zip(questions[lang], owners, strict=True)
            if owner in chosen and answer_in(q["answer"], paragraphs[lang][owner]["text"])
        ]
        _write(folder / "corpus" / f"xquad-{lang}.jsonl", kept)
        _write(folder / "qa.jsonl", asked)
        print(f"{lang}: {len(kept)} paragraphs, {len(asked)} questions")
    shutil.copyfile(source / LICENCE, target / LICENCE)


def _write(path: Path, records: list[Record]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
