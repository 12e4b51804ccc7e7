"""Compare ways of choosing a passage's snippet sentences on a QA set (not part of the bot).

Each idea changes only which sentences of a ranked passage are quoted; the passages are the
ones ``corpusbot eval qa`` ranks (the bot's own ``SearchService``), and the snippet is built
from ``bot.search.snippets``' own helpers, so the ``default`` row equals ``eval qa``'s figures.
Questions are split into fixed halves by the first byte of the SHA-1 of their UTF-8 text (even:
A, odd: B). ``docs/quality.md`` ("Choosing the sentence") has the measured rows.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.analysis.analyzer import tokenize
from bot.analysis.matching import find_terms
from bot.corpus.text import Span, collapse_whitespace, sentence_spans
from bot.evaluation.qa import DEPTH, QaCase, _normal, load_qa
from bot.search import snippets as sn
from bot.search.service import SearchService

Found = list[tuple[int, int, str]]
# "how many / when / what year" questions, for the number-bonus idea.
NUMBER_QUESTION = re.compile(
    r"^\s*(how (many|much|long|old|far|large|big|tall)|what (year|percentage|percent|age)"
    r"|in what year|when)\b",
    re.I,
)
NUMBER_WORD = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million)\b", re.I
)
PRONOUN_START = re.compile(r"^\W*(he|she|it|they|this|these|his|her|its|their)\b", re.I)


@dataclass(frozen=True, slots=True)
class Choice:
    """One way of choosing sentences; the defaults are the bot's choice before local idf."""

    local_power: float = 0.0  # weight × (sentences / sentences holding the term) ** power
    local_log: bool = False  # weight × log(1 + sentences / sentences holding the term) instead
    proximity: float = 0.0  # + share × the most distinct-term weight within ``window`` chars
    window: int = 60
    tf_k: float = 0.0  # > 0: saturated term frequency instead of distinct terms
    number_bonus: float = 0.0  # × the total weight, for number-bearing sentences of "how many" …
    run_of: int = 0  # > 0: best run of 1..run_of consecutive sentences instead of best + neighbour
    run_ties_longer: bool = True
    next_sentence: bool = False  # always add the following sentence (else the one before)
    pronoun: bool = False  # a best sentence opening with "He", "It", … takes the one before
    both_sides: bool = False  # then add neighbours on both sides while they fit
    second_share: float = 0.0  # > 0: quote the next-best sentence if it scores this share of best
    continuation: float = 0.0  # the sentence after the best gains this share of the best's score
    max_chars: int = 300  # the whole snippet
    neighbour_chars: int = 300  # the best sentence and its neighbour, when no second is quoted


@dataclass(frozen=True, slots=True)
class Question:
    """A QA case with the query-term weights and top-3 passage texts the bot found for it."""

    case: QaCase
    weights: dict[str, float]
    passages: list[str]

    @property
    def half(self) -> str:
        """The case's fixed half, A or B (:attr:`QaCase.half`)."""
        return self.case.half


@dataclass(slots=True)
class Tally:
    """Answer-in-top-1 / top-3 snippet counts, and first-snippet lengths."""

    top1: int = 0
    top3: int = 0
    questions: int = 0
    lengths: list[int] = field(default_factory=list)

    def cell(self) -> str:
        """ "78.1 (82.3)": percentage in the first snippet (in one of the first three)."""
        share = 100 / max(self.questions, 1)
        return f"{self.top1 * share:.1f} ({self.top3 * share:.1f})"

    def median(self) -> str:
        """Median first-snippet length, as ``eval qa`` reports it."""
        return f"{statistics.median(self.lengths):.0f}" if self.lengths else "-"


def prepare(service: SearchService, cases: list[QaCase]) -> list[Question]:
    """Rank every question as ``SearchService.search`` does and keep what a snippet needs."""
    questions = []
    for case in cases:
        hits = service.search(case.question, limit=DEPTH).hits
        known = service.index.known_terms(tuple(dict.fromkeys(tokenize(case.question))))
        weights = {term: service.index.idf(term) for term in known}
        questions.append(Question(case, weights, [hit.passage.text for hit in hits]))
    return questions


def weight_of(weights: Mapping[str, float], terms: set[str]) -> float:
    """Summed weight of distinct terms."""
    return math.fsum(weights[t] for t in terms)


def local_weights(
    choice: Choice, weights: Mapping[str, float], matched: list[set[str]]
) -> dict[str, float]:
    """Weights scaled by how few of the passage's sentences hold each term."""
    n = len(matched)
    out = {}
    for term, weight in weights.items():
        holding = max(sum(1 for here in matched if term in here), 1)
        if choice.local_log:
            out[term] = weight * math.log(1 + n / holding)
        else:
            out[term] = weight * (n / holding) ** choice.local_power
    return out


def densest(sentence: Span, found: Found, weights: Mapping[str, float], window: int) -> float:
    """The most distinct-term weight within ``window`` characters in ``sentence``."""
    here = [(start, term) for start, _, term in found if sentence.start <= start < sentence.end]
    return max(
        (
            weight_of(weights, {t for s, t in here if first <= s < first + window})
            for first, _ in here
        ),
        default=0.0,
    )


def saturated(sentence: Span, found: Found, weights: Mapping[str, float], k: float) -> float:
    """Summed weight × saturated count of each term in ``sentence``."""
    counts: dict[str, int] = {}
    for start, _, term in found:
        if sentence.start <= start < sentence.end:
            counts[term] = counts.get(term, 0) + 1
    return math.fsum(weights[t] * c * (k + 1) / (c + k) for t, c in counts.items())


def sentence_scores(
    choice: Choice,
    question: str,
    text: str,
    sentences: list[Span],
    found: Found,
    matched: list[set[str]],
    w: dict[str, float],
) -> list[float]:
    """Each sentence's score under ``choice`` (``w``: the weights already made local)."""
    if choice.tf_k:
        scores = [saturated(s, found, w, choice.tf_k) for s in sentences]
    else:
        scores = [weight_of(w, here) for here in matched]
    if choice.proximity:
        scores = [
            sc + choice.proximity * densest(s, found, w, choice.window)
            for sc, s in zip(scores, sentences, strict=True)
        ]
    if choice.number_bonus and NUMBER_QUESTION.search(question):
        bonus = choice.number_bonus * max(math.fsum(w.values()), 1e-9)
        scores = [
            sc + (bonus if NUMBER_WORD.search(text[s.start : s.end]) else 0.0)
            for sc, s in zip(scores, sentences, strict=True)
        ]
    return scores


def best_run(
    choice: Choice,
    text: str,
    sentences: list[Span],
    matched: list[set[str]],
    w: dict[str, float],
    max_chars: int,
) -> Span:
    """The run of 1..``run_of`` consecutive sentences with most weight (longer runs must fit)."""
    best: tuple[tuple[float, int, int], Span] | None = None
    for i in range(len(sentences)):
        union: set[str] = set()
        for j in range(i, min(len(sentences), i + choice.run_of)):
            union |= matched[j]
            span = Span(sentences[i].start, sentences[j].end)
            if j > i and sn._length(text, span) > max_chars:
                break
            key = (weight_of(w, union), (j - i) if choice.run_ties_longer else -(j - i), -i)
            if best is None or key > best[0]:
                best = (key, span)
    assert best is not None
    return best[1]


def widen(text: str, span: Span, sentence: Span, max_chars: int) -> Span:
    """``span`` joined with ``sentence`` if the result fits, else ``span``."""
    wider = Span(min(span.start, sentence.start), max(span.end, sentence.end))
    return wider if sn._length(text, wider) <= max_chars else span


def second(
    choice: Choice,
    text: str,
    sentences: list[Span],
    scores: list[float],
    best: int,
    max_chars: int,
) -> list[Span] | None:
    """The best sentence and the next best, if that one scores ``second_share`` of the best
    (the sentence after the best gaining ``continuation`` of it) and both fit."""
    bonus = choice.continuation * scores[best]
    candidates = {
        i: scores[i] + (bonus if i == best + 1 else 0.0)
        for i in range(len(sentences))
        if i != best and scores[i] > 0
    }
    if not candidates:
        return None
    other = max(candidates, key=lambda i: (candidates[i], -i))
    if candidates[other] < choice.second_share * scores[best]:
        return None
    first, last = sorted((best, other))
    if last == first + 1:
        spans = [Span(sentences[first].start, sentences[last].end)]
    else:
        spans = [sentences[first], sentences[last]]
    length = sum(sn._length(text, span) for span in spans) + len(sn.GAP) * (len(spans) - 1)
    return spans if length <= max_chars else None


def choose(
    choice: Choice,
    question: str,
    text: str,
    sentences: list[Span],
    found: Found,
    matched: list[set[str]],
    weights: dict[str, float],
    max_chars: int,
) -> Span | list[Span]:
    """The span ``choice`` quotes (or two, for a second sentence), before any cut of a
    too-long sentence."""
    w = (
        local_weights(choice, weights, matched)
        if (choice.local_power or choice.local_log)
        else weights
    )
    if choice.run_of:
        return best_run(choice, text, sentences, matched, w, max_chars)
    scores = sentence_scores(choice, question, text, sentences, found, matched, w)
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    if choice.second_share and sn._length(text, sentences[best]) > max_chars:
        return sentences[best]
    if choice.next_sentence:
        for neighbour in (best + 1, best - 1):
            if 0 <= neighbour < len(sentences):
                span = widen(text, sentences[best], sentences[neighbour], max_chars)
                if span != sentences[best]:
                    return span
        return sentences[best]
    if (
        choice.pronoun
        and best > 0
        and PRONOUN_START.match(text[sentences[best].start : sentences[best].end])
    ):
        span = widen(text, sentences[best], sentences[best - 1], max_chars)
        if span != sentences[best]:
            return span
    if choice.second_share:
        spans = second(choice, text, sentences, scores, best, max_chars)
        if spans:
            return spans
    room = 2 * len(sn.ELLIPSIS + " ")
    span = sn._extend(
        text, sentences, matched, w, best, min(max_chars, choice.neighbour_chars - room)
    )
    if choice.both_sides:
        for neighbour in (best - 1, best + 1):
            if 0 <= neighbour < len(sentences):
                span = widen(text, span, sentences[neighbour], max_chars)
    return span


def snippet(choice: Choice, question: str, text: str, weights: dict[str, float]) -> str:
    """The plain snippet ``choice`` shows, built like ``select_snippet``'s."""
    max_chars = choice.max_chars - 2 * len(sn.ELLIPSIS + " ")
    wanted = frozenset(weights)
    sentences = sentence_spans(text) or [Span(0, len(text))]
    found = find_terms(text, wanted)
    matched = sn._terms_by_sentence(sentences, found)
    chosen = choose(choice, question, text, sentences, found, matched, weights, max_chars)
    if isinstance(chosen, list):
        return sn.Snippet(
            tuple(
                piece
                for k, span in enumerate(chosen)
                for piece in ([(sn.GAP, False)] if k else [])
                + list(sn._highlight(collapse_whitespace(text[span.start : span.end]), wanted))
            ),
            bool(text[: chosen[0].start].strip()),
            bool(text[chosen[-1].end :].strip()),
        ).plain
    if sn._length(text, chosen) > max_chars:
        chosen = sn._window_around_matches(text, chosen, found, weights, max_chars)
    body = collapse_whitespace(text[chosen.start : chosen.end])
    return sn.Snippet(
        sn._highlight(body, wanted),
        bool(text[: chosen.start].strip()),
        bool(text[chosen.end :].strip()),
    ).plain


def bot_snippet(question: str, text: str, weights: dict[str, float]) -> str:
    """The bot's own snippet, as ``eval qa`` sees it."""
    return sn.select_snippet(text, weights).plain


Snipper = Callable[[str, str, dict[str, float]], str]


def tally(questions: list[Question], snipper: Snipper) -> dict[str, Tally]:
    """Counts per half and over all questions."""
    tallies = {"A": Tally(), "B": Tally(), "all": Tally()}
    for q in questions:
        shown = [snipper(q.case.question, text, q.weights) for text in q.passages]
        answer = _normal(q.case.answer)
        for t in (tallies[q.half], tallies["all"]):
            t.questions += 1
            if shown:
                t.lengths.append(len(shown[0]))
            t.top1 += bool(shown) and answer in _normal(shown[0])
            t.top3 += any(answer in _normal(s) for s in shown)
    return tallies


def with_choice(choice: Choice) -> Snipper:
    """A snipper for ``choice``."""
    return lambda question, text, weights: snippet(choice, question, text, weights)


BEFORE = Choice()
LOCAL_PROXIMITY = Choice(local_power=0.5, proximity=0.5, window=60)
KEPT = Choice(
    local_power=0.5,
    proximity=0.5,
    window=60,
    second_share=sn.SECOND_SHARE,
    continuation=sn.CONTINUATION_SHARE,
    max_chars=sn.SNIPPET_CHARS,
    neighbour_chars=sn.NEIGHBOUR_CHARS,
)
LOCAL = Choice(local_power=0.5)
EXPERIMENTS: dict[str, dict[str, Choice]] = {
    "neighbours": {
        "always extend with the next sentence": Choice(next_sentence=True),
        "best run of 1-3 sentences, ties to the longer": Choice(run_of=3),
        "best run of 1-3 sentences, ties to the shorter": Choice(run_of=3, run_ties_longer=False),
        "best run of 1-2 sentences, ties to the longer": Choice(run_of=2),
        "fill both sides with neighbours while they fit": Choice(both_sides=True),
        "pronoun start takes the sentence before": Choice(pronoun=True),
    },
    "weights": {
        "proximity alone 0.5 x within 60 chars": Choice(proximity=0.5, window=60),
        "proximity alone 1.0 x within 40 chars": Choice(proximity=1.0, window=40),
        "term frequency, saturated k=1.2": Choice(tf_k=1.2),
        "number bonus 0.3 for how many/when questions": Choice(number_bonus=0.3),
        "local idf power 0.5": LOCAL,
        "local idf power 0.25": Choice(local_power=0.25),
        "local idf power 1.0": Choice(local_power=1.0),
        "local idf log(1 + n / df)": Choice(local_log=True),
    },
    "combined": {
        "local 0.5 + proximity 0.5 / 60 chars": LOCAL_PROXIMITY,
        "local 0.5 + proximity 0.25 / 60 chars": Choice(local_power=0.5, proximity=0.25),
        "local 0.5 + proximity 1.0 / 60 chars": Choice(local_power=0.5, proximity=1.0),
        "local 0.5 + proximity 0.5 / 40 chars": Choice(local_power=0.5, proximity=0.5, window=40),
        "local 0.5 + proximity 0.5 / 100 chars": Choice(local_power=0.5, proximity=0.5, window=100),
        "local 0.5 + proximity 0.5 + pronoun rule": Choice(
            local_power=0.5, proximity=0.5, pronoun=True
        ),
    },
    "second": {
        f"second sentence {share} of best, next +{cont}, {chars} chars": Choice(
            local_power=0.5,
            proximity=0.5,
            second_share=share,
            continuation=cont,
            max_chars=chars,
        )
        for chars in (400, 450)
        for share in (0.3, 0.5)
        for cont in (0.0, 0.3, 0.6)
    },
    "budget": {
        "before's choice, 360 chars": Choice(max_chars=360),
        "before's choice, 400 chars": Choice(max_chars=400),
        "local idf 0.5, 400 chars": Choice(local_power=0.5, max_chars=400),
    },
}


SENTENCE_SETS: dict[str, Callable[[list[int], int], set[int]]] = {
    "best sentence": lambda order, n: {order[0]},
    "best + the one after": lambda order, n: {order[0], min(order[0] + 1, n - 1)},
    "best + the one before": lambda order, n: {order[0], max(order[0] - 1, 0)},
    "best + next best": lambda order, n: set(order[:2]),
    "best + the one after + next best": lambda order, n: {
        *order[:2],
        min(order[0] + 1, n - 1),
    },
    "three best": lambda order, n: set(order[:3]),
}


def _first_passage_holds(questions: list[Question]) -> list[Question]:
    """The questions whose first passage holds the answer."""
    return [q for q in questions if q.passages and _normal(q.case.answer) in _normal(q.passages[0])]


def _kept_scores(q: Question) -> tuple[list[Span], list[float]]:
    """The first passage's sentences and their scores under the bot's choice (:data:`KEPT`)."""
    text = q.passages[0]
    sentences = sentence_spans(text) or [Span(0, len(text))]
    found = find_terms(text, frozenset(q.weights))
    matched = sn._terms_by_sentence(sentences, found)
    w = local_weights(KEPT, q.weights, matched)
    return sentences, sentence_scores(KEPT, q.case.question, text, sentences, found, matched, w)


def ceiling(questions: list[Question]) -> None:
    """How often a set of sentences chosen by the bot's scores holds the answer, among the
    questions whose first passage holds it, whatever the snippet's length: what any choice of
    whole sentences by these scores can reach, and what it costs in characters."""
    held = _first_passage_holds(questions)
    print(f"{len(held)} questions whose first passage holds the answer")
    for name, pick in SENTENCE_SETS.items():
        hits, lengths = 0, []
        for q in held:
            text = q.passages[0]
            sentences, scores = _kept_scores(q)
            order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
            body = " ".join(
                collapse_whitespace(text[sentences[i].start : sentences[i].end])
                for i in sorted(pick(order, len(sentences)))
            )
            hits += _normal(q.case.answer) in _normal(body)
            lengths.append(len(body))
        share = 100 * hits / max(len(held), 1)
        print(
            f"{name:40} {share:5.1f} % ({share * len(held) / len(questions):5.1f} % of all)"
            f"  median {statistics.median(lengths):.0f} chars",
            flush=True,
        )


def embedding(questions: list[Question]) -> None:
    """How often the best sentence holds the answer, among the questions whose first passage
    holds it, when sentences are scored by a learned embedding: the cosine similarity of
    question and sentence in wordllama's model (``pip install wordllama``: the one model found
    whose weights come in its PyPI wheel), alone and mixed with the bot's own score scaled to
    the passage's best, per half and for the best sentence with the one after it."""
    model = _wordllama()
    held = _first_passage_holds(questions)
    scored = []
    for q in held:
        text = q.passages[0]
        sentences, own = _kept_scores(q)
        bodies = [collapse_whitespace(text[s.start : s.end]) for s in sentences]
        vectors = model.embed([q.case.question, *bodies], norm=True)
        similarity = (vectors[1:] @ vectors[0]).tolist()
        holds = [_normal(q.case.answer) in _normal(body) for body in bodies]
        scored.append((q.half, own, similarity, holds))
    print(f"{len(held)} questions whose first passage holds the answer")
    print(f"{'share of the embedding':24} {'best: A':>8} {'best: B':>8} {'best + after':>13}")
    for share in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        hits = {"A": [0, 0], "B": [0, 0], "after": [0, 0]}
        for half, own, similarity, holds in scored:
            top = max(own) or 1.0
            pairs = zip(own, similarity, strict=True)
            mixed = [(1 - share) * o / top + share * e for o, e in pairs]
            best = min(range(len(mixed)), key=lambda i: (-mixed[i], i))
            after = min(best + 1, len(mixed) - 1)
            for key, hit in ((half, holds[best]), ("after", holds[best] or holds[after])):
                hits[key][0] += hit
                hits[key][1] += 1
        cells = [f"{100 * hit / max(n, 1):.1f} %" for hit, n in hits.values()]
        print(f"{share:<24} {cells[0]:>8} {cells[1]:>8} {cells[2]:>13}", flush=True)


def _wordllama() -> Any:
    """wordllama's default model from the files its wheel holds. Its loader looks for the
    tokenizer in a folder the wheel does not have and then downloads it, so the files are
    given to it as a cache folder of its own layout."""
    import tempfile

    from wordllama import WordLlama

    package = Path(WordLlama.load.__globals__["__file__"]).parent
    cache = Path(tempfile.mkdtemp(prefix="wordllama-"))
    for folder in ("tokenizers", "weights"):
        (cache / folder).mkdir()
        for packaged in (package / folder).iterdir():
            (cache / folder / packaged.name).symlink_to(packaged)
    return WordLlama.load(cache_dir=cache)


def rows(exp: str) -> dict[str, Snipper]:
    """Every family starts with the bot's default (equal to ``eval qa``) and the choice before."""
    chosen = {
        "default: the bot's select_snippet (= eval qa)": bot_snippet,
        "before: best sentence + best neighbour": with_choice(BEFORE),
    }
    families = EXPERIMENTS if exp == "all" else {exp: EXPERIMENTS[exp]}
    for family in families.values():
        chosen.update({name: with_choice(choice) for name, choice in family.items()})
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("qa", type=Path, help="QA JSONL file of {question, answer}")
    parser.add_argument("--corpus", type=Path, required=True, help="the questions' own passages")
    parser.add_argument(
        "--distractors", type=Path, help="a corpus of the same passages mixed with many others"
    )
    parser.add_argument(
        "--exp",
        choices=[*EXPERIMENTS, "all", "ceiling", "embedding"],
        default="all",
        help="family of ideas to run; ceiling: what whole sentences chosen by score can reach; "
        "embedding: sentences scored by wordllama's embeddings",
    )
    parser.add_argument("--cache-dir", type=Path, help="where indexes are kept (INDEX_CACHE_DIR)")
    args = parser.parse_args()
    cases = load_qa(args.qa)
    plain = prepare(
        SearchService.from_folder(args.corpus, cache_dir=args.cache_dir, progress=False), cases
    )
    mixed = None
    if args.distractors:
        mixed = prepare(
            SearchService.from_folder(args.distractors, cache_dir=args.cache_dir, progress=False),
            cases,
        )
    if args.exp in ("ceiling", "embedding"):
        measure = ceiling if args.exp == "ceiling" else embedding
        for corpus, questions in (("paragraphs", plain), ("+ distractors", mixed)):
            if questions is not None:
                print(corpus, end=": ")
                measure(questions)
        return
    a = sum(q.half == "A" for q in plain)
    print(f"{len(plain)} questions: half A {a}, half B {len(plain) - a}; top-1 snippet % (top-3)")
    print(f"{'idea':50} {'half A':>13} {'half B':>13} {'all':>13} {'+ distract':>13} {'median':>9}")
    for name, snipper in rows(args.exp).items():
        t = tally(plain, snipper)
        d = tally(mixed, snipper)["all"] if mixed else None
        median = t["all"].median() + (f" / {d.median()}" if d else "")
        cells = [t["A"].cell(), t["B"].cell(), t["all"].cell(), d.cell() if d else "-"]
        print(f"{name:50} " + " ".join(f"{c:>13}" for c in cells) + f" {median:>9}", flush=True)


if __name__ == "__main__":
    main()
