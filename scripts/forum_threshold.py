"""Measure where FORUM_MIN_SCORE should be: the best passage's score for posts the corpus
answers against posts it does not (not part of the bot).

A help-forum post is answered only when its best passage scores FORUM_MIN_SCORE or more. This
script searches, as the bot does (``question_part`` of the post, the bot's ``SearchService``),

- on-topic posts: a QA file's questions about the corpus (``{"question", "answer"}``), a post
  *answered well* when the first passage holds the answer; or a BEIR folder's judged queries
  (its ``train`` split) over its own documents, answered well when the first passage is from a
  document judged relevant (CORPUS_DIR is then ignored);
- off-topic posts: questions or claims from elsewhere (JSONL with ``question`` or ``text``).

Posts are split into fixed halves by the first byte of the SHA-1 of their text (even: A, odd:
B), as the other sweeps do. The threshold is chosen on half A as the one that maximises
(share of well-answered on-topic posts answered) − (share of the others answered: off-topic
posts and on-topic posts whose first passage misses the answer), and reported on half B with
the rows around it. ``docs/quality.md`` ("Help forums: when to answer") has the figures.

    python scripts/forum_threshold.py CORPUS_DIR ON_TOPIC_QA.jsonl OFF_TOPIC.jsonl [...]
    python scripts/forum_threshold.py - BEIR_FOLDER OFF_TOPIC.jsonl [...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.corpus.documents import slug
from bot.evaluation.beir import load_beir
from bot.evaluation.qa import answer_in, load_qa
from bot.search.loading import load_service
from bot.search.questions import question_part
from bot.search.service import SearchService

SHOWN = (0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20)


@dataclass(frozen=True, slots=True)
class Post:
    """One post as searched: its best score and whether an answer there would be a good one."""

    text: str
    score: float
    good: bool

    @property
    def half(self) -> str:
        """The post's fixed half, A or B."""
        return "A" if hashlib.sha1(self.text.encode("utf-8")).digest()[0] % 2 == 0 else "B"


def searched(service: SearchService, text: str, answer: str | None) -> Post:
    """The post searched as the bot searches it; ``answer`` None for an off-topic post."""
    response = service.search(question_part(text), limit=1)
    if not response.hits:
        return Post(text, 0.0, False)
    hit = response.hits[0]
    return Post(text, hit.score, answer is not None and answer_in(answer, hit.passage.text))


def beir_service(folder: Path, corpus: Path) -> tuple[SearchService, list[Post]]:
    """The service over a BEIR folder's documents (written to ``corpus`` as JSONL) and its
    judged train queries, searched."""
    dataset = load_beir(folder, "train")
    with (corpus / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for document in dataset.documents:
            record = {"id": document.id, "title": document.title, "text": document.text}
            out.write(json.dumps(record) + "\n")
    service = load_service(Settings(corpus_dir=corpus, index_cache_dir=None))
    posts = []
    for query_id, text in dataset.queries.items():
        response = service.search(question_part(text), limit=1)
        hit = response.hits[0] if response.hits else None
        # The loader names a JSONL record's document "<file>/<id>", as a slug.
        relevant = {
            slug(f"corpus/{doc}") for doc, grade in dataset.qrels[query_id].items() if grade
        }
        good = hit is not None and hit.passage.document.id in relevant
        posts.append(Post(text, hit.score if hit else 0.0, good))
    return service, posts


def off_topic_texts(path: Path) -> list[str]:
    """The ``question`` (or BEIR ``text``) of every line of a JSONL file."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            texts.append(str(record.get("question") or record["text"]))
    return texts


@dataclass(frozen=True, slots=True)
class Row:
    """What a threshold does to one half's posts."""

    threshold: float
    good_answered: float  # of the on-topic posts whose first passage holds the answer
    wrong_answered: float  # of the on-topic posts whose first passage misses it
    off_answered: float  # of the off-topic posts
    others_answered: float  # of wrong and off-topic together

    @property
    def gain(self) -> float:
        """Good posts answered minus the others answered (Youden's J)."""
        return self.good_answered - self.others_answered


def row(threshold: float, on: list[Post], off: list[Post]) -> Row:
    """The shares of each kind of post a threshold answers."""

    def share(posts: list[Post]) -> float:
        return sum(p.score >= threshold for p in posts) / len(posts) if posts else 0.0

    good = [p for p in on if p.good]
    wrong = [p for p in on if not p.good]
    return Row(threshold, share(good), share(wrong), share(off), share(wrong + off))


def best_threshold(on: list[Post], off: list[Post]) -> Row:
    """The threshold (one of the posts' own scores) with the highest gain; the higher on ties."""
    candidates = sorted({p.score for p in on + off if p.score > 0})
    return max((row(t, on, off) for t in candidates), key=lambda r: (r.gain, r.threshold))


def main() -> None:
    """Search every post, choose on half A, report on half B."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="the corpus folder (- with a BEIR folder)")
    parser.add_argument("on_topic", type=Path, help="QA JSONL about the corpus, or BEIR folder")
    parser.add_argument("off_topic", type=Path, nargs="+", help="JSONL of other questions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forum-threshold-") as scratch:
        if args.on_topic.is_dir():
            service, on = beir_service(args.on_topic, Path(scratch))
        else:
            service = load_service(Settings(corpus_dir=args.corpus, index_cache_dir=None))
            on = [searched(service, case.question, case.answer) for case in load_qa(args.on_topic)]
        print(f"corpus: {service.summary.describe()}")
        off = [searched(service, t, None) for path in args.off_topic for t in off_topic_texts(path)]
    on_a, on_b = [p for p in on if p.half == "A"], [p for p in on if p.half == "B"]
    off_a, off_b = [p for p in off if p.half == "A"], [p for p in off if p.half == "B"]
    good = sum(p.good for p in on)
    print(f"posts: {len(on)} on-topic ({good} with the answer first), {len(off)} off-topic")
    chosen = best_threshold(on_a, off_a)
    print(f"chosen on half A: {chosen.threshold:.2f} (gain {chosen.gain:.3f})")
    print("half B: threshold | good answered | wrong answered | off-topic answered | gain")
    for threshold in sorted({*SHOWN, round(chosen.threshold, 2)}):
        r = row(threshold, on_b, off_b)
        mark = "  ← chosen" if threshold == round(chosen.threshold, 2) else ""
        print(
            f"  {threshold:6.2f} | {r.good_answered:6.1%} | {r.wrong_answered:6.1%} | "
            f"{r.off_answered:6.1%} | {r.gain:.3f}{mark}"
        )


if __name__ == "__main__":
    main()
