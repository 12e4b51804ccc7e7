# ruff: noqa: ANN001, ANN201, E501
"""Explore ranking configurations on a BEIR set quickly (not part of the bot).

A numpy BM25 with the same formula as rank-bm25 (checked against it on a sample) so a sweep of
many configurations takes seconds; the chosen rows are then re-measured with
``corpusbot eval beir``, which goes through the bot's own index.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import Stemmer

from bot.analysis.analyzer import STOP_WORDS, title_weight, tokenize
from bot.corpus.passages import split_corpus
from bot.evaluation.beir import load_beir
from bot.evaluation.metrics import evaluate, per_query

_stem = Stemmer.Stemmer("english")


def baseline_tokenize(text: str) -> list[str]:
    """The published rank-bm25 baseline: lower-case, \\w\\w+, stop words, Snowball."""
    words = [w for w in re.findall(r"\w\w+", text.lower()) if w not in STOP_WORDS]
    return _stem.stemWords(words)


def postings(docs: Sequence[list[str]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """term -> (passage numbers, term counts), the arrays both scorers below sum over."""
    post: dict[str, tuple[list[int], list[int]]] = {}
    for i, d in enumerate(docs):
        for t, c in Counter(d).items():
            p = post.setdefault(t, ([], []))
            p[0].append(i)
            p[1].append(c)
    return {t: (np.array(a), np.array(c, dtype=np.float64)) for t, (a, c) in post.items()}


class FastBM25:
    """rank-bm25's BM25Okapi scores, Lucene or Okapi idf, via postings."""

    def __init__(self, docs: Sequence[list[str]], k1: float, b: float, idf: str = "lucene") -> None:
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        avgdl = lengths.mean()
        self.norm = k1 * (1 - b + b * lengths / avgdl)
        self.k1 = k1
        self.post = postings(docs)
        if idf == "lucene":
            self.idf = {
                t: math.log(1 + (self.n - len(a) + 0.5) / (len(a) + 0.5))
                for t, (a, _) in self.post.items()
            }
        else:
            raw = {
                t: math.log(self.n - len(a) + 0.5) - math.log(len(a) + 0.5)
                for t, (a, _) in self.post.items()
            }
            eps = 0.25 * sum(raw.values()) / len(raw)
            self.idf = {t: (v if v >= 0 else eps) for t, v in raw.items()}

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        s = np.zeros(self.n)
        for t in terms:
            p = self.post.get(t)
            if p is None:
                continue
            a, c = p
            s[a] += self.idf[t] * c * (self.k1 + 1) / (c + self.norm[a])
        return s


def run_config(
    ds, units, unit_doc_starts, unit_terms, qterms, k1, b, idf="lucene", agg="max", rm3=None
):
    index = FastBM25(unit_terms, k1, b, idf)
    doc_ids = [d.id for d in ds.documents]
    run = {}
    for qid, terms in qterms.items():
        s = index.scores(terms)
        if rm3:
            s = rm3_scores(index, unit_terms, s, terms, *rm3)
        ds_ = aggregate(s, unit_doc_starts, agg)
        top = np.argpartition(-ds_, 100)[:100]
        run[qid] = {doc_ids[i]: float(ds_[i]) for i in top if ds_[i] > 0}
    return evaluate(run, ds.qrels)


def rm3_scores(index, unit_terms, s, terms, fb_docs, fb_terms, weight):
    top = np.argsort(-s)[:fb_docs]
    top = [i for i in top if s[i] > 0]
    if not top:
        return s
    model: Counter[str] = Counter()
    for i in top:
        c = Counter(unit_terms[i])
        total = sum(c.values())
        for t, n in c.items():
            model[t] += (n / total) * s[i]
    expansion = model.most_common(fb_terms)
    qmodel = {t: (1 - weight) / len(terms) for t in terms}
    total_exp = sum(v for _, v in expansion)
    for t, v in expansion:
        qmodel[t] = qmodel.get(t, 0) + weight * v / total_exp
    out = np.zeros_like(s)
    for t, w in qmodel.items():
        out += w * index.scores([t])
    return out


def aggregate(s, starts, agg):
    if starts is None:
        return s
    mx = np.maximum.reduceat(s, starts)
    if agg == "max":
        return mx
    sm = np.add.reduceat(s, starts)
    if agg == "sum":
        return sm
    alpha = float(agg.split(":")[1])
    return mx + alpha * (sm - mx)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", default="train")
    parser.add_argument("--exp", default="all")
    args = parser.parse_args()
    ds = load_beir(args.folder, args.split)
    print(f"{len(ds.documents)} docs, {len(ds.queries)} queries", file=sys.stderr)
    exp = args.exp
    if exp == "check":
        check(ds)
        return
    globals()["exp_" + exp](ds)


def report(name, sc, t0):
    print(
        f"{name:60s} nDCG@10 {sc.ndcg_at_10:.4f}  R@100 {sc.recall_at_100:.4f}  MRR@10 {sc.mrr_at_10:.4f}  ({time.time() - t0:.1f}s)",
        flush=True,
    )


def doc_units(ds, tok, title_rep=1):
    return [tok(" ".join([d.title] * title_rep + [d.text])) for d in ds.documents]


def exp_base(ds):
    t0 = time.time()
    units = doc_units(ds, baseline_tokenize)
    q = {qid: baseline_tokenize(t) for qid, t in ds.queries.items()}
    report(
        "baseline okapi k1=1.5 b=0.75 whole doc",
        run_config(ds, None, None, units, q, 1.5, 0.75, "okapi"),
        t0,
    )
    report("baseline tok lucene k1=1.5 b=0.75", run_config(ds, None, None, units, q, 1.5, 0.75), t0)
    units = doc_units(ds, tokenize)
    q = {qid: tokenize(t) for qid, t in ds.queries.items()}
    report(
        "bot tok okapi 1.5/0.75 whole doc",
        run_config(ds, None, None, units, q, 1.5, 0.75, "okapi"),
        t0,
    )
    for k1, b in [(1.2, 0.75), (0.9, 0.4), (1.5, 0.75), (1.5, 0.9), (2.0, 0.9), (1.2, 1.0)]:
        report(
            f"bot tok lucene {k1}/{b} whole doc", run_config(ds, None, None, units, q, k1, b), t0
        )


def check(ds):
    """FastBM25 equals rank-bm25 (BM25Okapi and the bot's LuceneBM25) on a sample."""
    from rank_bm25 import BM25Okapi

    from bot.index import LuceneBM25

    units = doc_units(ds, baseline_tokenize)[:1500]
    for cls, idf in ((BM25Okapi, "okapi"), (LuceneBM25, "lucene")):
        ref = cls(units, k1=1.5, b=0.75)
        fast = FastBM25(units, 1.5, 0.75, idf)
        for text in list(ds.queries.values())[:40]:
            q = baseline_tokenize(text)
            assert np.allclose(ref.get_scores(q), fast.scores(q)), (cls, text)
    print("FastBM25 matches rank-bm25")


def passage_units(ds, tok, title_rep, min_words, max_words):
    ps = split_corpus(ds.documents, min_words, max_words)
    starts, last = [], None
    for i, p in enumerate(ps):
        if p.document.id != last:
            starts.append(i)
            last = p.document.id
    units = [tok(" ".join([p.title] * title_rep + [p.text])) for p in ps]
    return units, np.array(starts)


def exp_title(ds):
    q = {qid: tokenize(t) for qid, t in ds.queries.items()}
    for rep in (0, 1, 2, 3):
        t0 = time.time()
        units = doc_units(ds, tokenize, rep)
        for k1, b in [(1.2, 0.75), (1.5, 0.75)]:
            report(
                f"whole doc title x{rep} {k1}/{b}", run_config(ds, None, None, units, q, k1, b), t0
            )


def exp_passages(ds):
    q = {qid: tokenize(t) for qid, t in ds.queries.items()}
    for mn, mx in [(40, 120), (60, 200), (100, 300)]:
        for rep in (0, 1, 2):
            t0 = time.time()
            units, starts = passage_units(ds, tokenize, rep, mn, mx)
            for agg in ("max", "max:0.2", "max:0.5", "sum"):
                for k1, b in [(1.2, 0.75)]:
                    report(
                        f"passages {mn}/{mx} title x{rep} {agg} {k1}/{b}",
                        run_config(ds, None, starts, units, q, k1, b, agg=agg),
                        t0,
                    )


def make_tok(pattern=r"\w\w+", stop=STOP_WORDS, join_hyphen=False, min_len=2):
    rx = re.compile(pattern)
    hy = re.compile(r"\w+(?:-\w+)+")

    def tok(text: str) -> list[str]:
        from bot.analysis.analyzer import _APOSTROPHE, _POSSESSIVE, fold

        folded = _APOSTROPHE.sub(r"\1\2", _POSSESSIVE.sub(r"\1", fold(text)))
        words = [w for w in rx.findall(folded) if w not in stop and len(w) >= min_len]
        if join_hyphen:
            words += [m.replace("-", "") for m in hy.findall(folded)]
        return _stem.stemWords(words)

    return tok


def exp_tok(ds):
    variants = {
        "bot": tokenize,
        "w+ (single chars)": make_tok(r"\w+", min_len=1),
        "w+ digits-or-greek single": make_tok(r"\w+", min_len=1),
        "hyphen joined extra": make_tok(join_hyphen=True),
        "no stop words": make_tok(stop=frozenset()),
    }
    for name, tok in variants.items():
        t0 = time.time()
        q = {qid: tok(t) for qid, t in ds.queries.items()}
        units = doc_units(ds, tok, 2)
        report(
            f"tok {name} whole doc title x2 1.2/0.75",
            run_config(ds, None, None, units, q, 1.2, 0.75),
            t0,
        )
        units, starts = passage_units(ds, tok, 2, 100, 300)
        report(
            f"tok {name} 100/300 title x2 max:0.2 1.2/0.75",
            run_config(ds, None, starts, units, q, 1.2, 0.75, agg="max:0.2"),
            t0,
        )


def exp_grid(ds):
    q = {qid: tokenize(t) for qid, t in ds.queries.items()}
    units = doc_units(ds, tokenize, 2)
    for k1, b in itertools.product((0.9, 1.2, 1.5, 2.0), (0.5, 0.65, 0.75, 0.9)):
        t0 = time.time()
        report(f"whole doc title x2 {k1}/{b}", run_config(ds, None, None, units, q, k1, b), t0)


def exp_rm3(ds):
    q = {qid: tokenize(t) for qid, t in ds.queries.items()}
    units = doc_units(ds, tokenize, 2)
    for fb_docs, fb_terms, w in [(10, 10, 0.5), (5, 10, 0.3), (3, 5, 0.2), (10, 20, 0.3)]:
        t0 = time.time()
        report(
            f"whole doc title x2 1.2/0.75 rm3 {fb_docs}/{fb_terms}/{w}",
            run_config(ds, None, None, units, q, 1.2, 0.75, rm3=(fb_docs, fb_terms, w)),
            t0,
        )


def exp_pgrid(ds):
    q = {qid: tokenize(t) for qid, t in ds.queries.items()}
    for mn, mx in [(80, 250), (100, 300), (150, 400), (200, 600)]:
        for rep in (2, 3):
            t0 = time.time()
            units, starts = passage_units(ds, tokenize, rep, mn, mx)
            for agg in ("max", "max:0.1", "max:0.2", "max:0.3"):
                report(
                    f"passages {mn}/{mx} title x{rep} {agg} 1.2/0.75",
                    run_config(ds, None, starts, units, q, 1.2, 0.75, agg=agg),
                    t0,
                )


class VariantBM25:
    """rank-bm25's BM25L and BM25Plus (and the bot's Okapi-with-Lucene-idf), via postings.

    ``rank_bm25`` (0.2.2) defines, with ``norm = 1 - b + b * len / avgdl``:

    - ``BM25L``: idf ``log(N + 1) - log(df + 0.5)``; per query term
      ``idf * tf * (k1 + 1) * (ctd + delta) / (k1 + ctd + delta)`` with ``ctd = tf / norm``,
      delta 0.5 by default. The extra ``tf *`` is not in Lv & Zhai's BM25L (``textbook=True``
      drops it; a passage without the term still scores 0 for it).
    - ``BM25Plus``: idf ``log((N + 1) / df)``; per query term
      ``idf * (delta + tf * (k1 + 1) / (k1 * norm + tf))`` for *every* passage, one without the
      term included, delta 1 by default. ``delta * idf`` is then the same for every passage, so
      delta cannot change the ranking. ``textbook=True`` adds delta only where ``tf > 0``.
    - ``lucene``: the bot's ``LuceneBM25``, Okapi saturation with idf
      ``log(1 + (N - df + 0.5) / (df + 0.5))``.
    """

    def __init__(self, docs: Sequence[list[str]]) -> None:
        self.n = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=np.float64)
        self.avgdl = sum(len(d) for d in docs) / self.n
        self.post = postings(docs)
        self.set(None, 1.2, 0.75)

    def set(self, kind, k1, b, delta=0.0, textbook=False):
        """Choose the variant (None or "lucene", "L", "Plus") and its parameters."""
        self.kind, self.k1, self.b, self.delta, self.textbook = kind, k1, b, delta, textbook
        self.norm = 1 - b + b * self.lengths / self.avgdl
        n = self.n
        df = {t: len(a) for t, (a, _) in self.post.items()}
        if kind == "L":
            self.idf = {t: math.log(n + 1) - math.log(f + 0.5) for t, f in df.items()}
        elif kind == "Plus":
            self.idf = {t: math.log((n + 1) / f) for t, f in df.items()}
        else:
            self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        return self

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        k1, delta = self.k1, self.delta
        s = np.zeros(self.n)
        for t in terms:
            p = self.post.get(t)
            if p is None:
                continue  # rank-bm25: idf.get(q) or 0
            a, c = p
            idf = self.idf[t]
            norm = self.norm[a]
            if self.kind == "L":
                ctd = c / norm
                part = (k1 + 1) * (ctd + delta) / (k1 + ctd + delta)
                s[a] += idf * (part if self.textbook else c * part)
            elif self.kind == "Plus":
                s[a] += idf * c * (k1 + 1) / (k1 * norm + c)
                if self.textbook:
                    s[a] += idf * delta
                else:
                    s += idf * delta  # every passage, with the term or without
            else:
                s[a] += idf * c * (k1 + 1) / (c + k1 * norm)
        return s


def bot_units(ds, min_words=None, max_words=None):
    """The bot's own passages, terms and document runs (``DocumentRanker``), at its defaults."""
    from bot.evaluation.ranking import DocumentRanker, RankingSettings

    settings = RankingSettings()
    if min_words is not None:
        settings = RankingSettings(min_words=min_words, max_words=max_words)
    ranker = DocumentRanker(ds.documents, settings)
    return ranker, ranker._terms, ranker._starts, ranker.document_ids


def top_run(doc_scores, doc_ids, depth=100):
    """Documents scoring > 0 down to the ``depth``-th score, ties at the cut kept (the metrics
    order ties by document id, as trec_eval does, and cut at ``depth`` themselves)."""
    pos = np.flatnonzero(doc_scores > 0)
    if pos.size > depth:
        cut = np.partition(doc_scores[pos], pos.size - depth)[pos.size - depth]
        pos = pos[doc_scores[pos] >= cut]
    return {doc_ids[i]: float(doc_scores[i]) for i in pos.tolist()}


def check_variants(units, queries, rng):
    """VariantBM25 equals rank-bm25's own get_scores on random passages and queries."""
    from rank_bm25 import BM25L, BM25Plus

    from bot.index import LuceneBM25

    sample = [units[i] for i in sorted(rng.choice(len(units), 1500, replace=False))]
    qs = [tokenize(queries[i]) for i in rng.choice(len(queries), 60, replace=False)]
    fast = VariantBM25(sample)
    worst = 0.0
    cases = [(LuceneBM25, None, k1, b, {}) for k1, b in ((1.2, 0.75), (0.9, 0.4))]
    cases += [(BM25L, "L", 1.5, 0.75, {})]  # rank-bm25's defaults: delta 0.5
    cases += [
        (BM25L, "L", k1, b, {"delta": d}) for k1, b, d in ((1.2, 0.75, 0.25), (0.9, 0.9, 0.5))
    ]
    cases += [(BM25Plus, "Plus", 1.5, 0.75, {})]  # delta 1
    cases += [
        (BM25Plus, "Plus", k1, b, {"delta": d}) for k1, b, d in ((1.2, 0.75, 0.25), (0.9, 0.6, 0.5))
    ]
    for cls, kind, k1, b, kw in cases:
        ref = cls(sample, k1=k1, b=b, **kw)
        fast.set(kind, k1, b, kw.get("delta", getattr(ref, "delta", 0.0)))
        for q in qs:
            diff = float(np.max(np.abs(ref.get_scores(q) - fast.scores(q))))
            worst = max(worst, diff)
            assert diff < 1e-9, (cls.__name__, k1, b, kw, q, diff)
    print(
        f"check: VariantBM25 = rank-bm25 get_scores (LuceneBM25, BM25L, BM25Plus; {len(cases)} "
        f"settings, 1500 random passages, 60 random queries): max |diff| {worst:.2e} < 1e-9",
        flush=True,
    )


def exp_variants(ds):
    """rank-bm25's BM25L and BM25Plus against the bot's default (Okapi saturation, Lucene idf),
    on the bot's own passages (80-250 words, title x2, document = best passage)."""

    t0 = time.time()
    ranker, units, starts, doc_ids = bot_units(ds)
    texts = list(ds.queries.values())
    check_variants(units, texts, np.random.default_rng(20240607))
    # The bot folds repeated query terms (DocumentRanker.rank); so do we.
    q = {qid: list(dict.fromkeys(tokenize(t))) for qid, t in ds.queries.items()}
    index = VariantBM25(units)
    for text in texts[:50]:  # the bot's own index gives the same scores
        terms = ranker.index.known_terms(list(dict.fromkeys(tokenize(text))))
        if terms:
            assert np.allclose(ranker.index.scores(terms), index.scores(terms), rtol=0, atol=1e-9)
    print(
        f"{len(units)} passages; check: VariantBM25 lucene = the bot's PassageIndex ({time.time() - t0:.1f}s)",
        flush=True,
    )

    def measure(kind, k1, b, delta=0.0, textbook=False) -> tuple:
        index.set(kind, k1, b, delta, textbook)
        run = {
            qid: top_run(aggregate(index.scores(t), starts, "max"), doc_ids) for qid, t in q.items()
        }
        return evaluate(run, ds.qrels), per_query(run, ds.qrels)

    rows = []
    bot_run = {qid: ranker.rank(text) for qid, text in ds.queries.items()}
    rows.append(
        (
            "bot DocumentRanker (k1=1.2 b=0.75, Lucene idf)",
            "",
            evaluate(bot_run, ds.qrels),
            per_query(bot_run, ds.qrels),
        )
    )
    base = rows[0][3]
    grid = list(itertools.product((0.9, 1.2, 1.5), (0.6, 0.75, 0.9)))
    for k1, b in grid:
        rows.append(("Okapi, Lucene idf (the bot's)", f"k1={k1} b={b}", *measure(None, k1, b)))
    for (k1, b), d in itertools.product(grid, (0.25, 0.5)):
        rows.append(("rank-bm25 BM25L", f"k1={k1} b={b} delta={d}", *measure("L", k1, b, d)))
    for (k1, b), d in itertools.product(grid, (0.25, 0.5, 1.0)):
        rows.append(("rank-bm25 BM25Plus", f"k1={k1} b={b} delta={d}", *measure("Plus", k1, b, d)))
    for (k1, b), d in itertools.product(grid, (0.25, 0.5)):
        rows.append(
            (
                "BM25L textbook (no extra tf factor)",
                f"k1={k1} b={b} delta={d}",
                *measure("L", k1, b, d, True),
            )
        )
    for (k1, b), d in itertools.product(grid, (0.25, 0.5, 1.0)):
        rows.append(
            (
                "BM25Plus textbook (delta only if tf>0)",
                f"k1={k1} b={b} delta={d}",
                *measure("Plus", k1, b, d, True),
            )
        )
    print(
        "\n| variant | parameters | nDCG@10 | R@100 | MRR@10 | Δ nDCG@10 vs bot | paired SE |\n|---|---|---|---|---|---|---|"
    )
    for name, params, sc, pq in rows:
        diff = np.array([pq[qid]["ndcg@10"] - base[qid]["ndcg@10"] for qid in base])
        se = diff.std(ddof=1) / math.sqrt(len(diff)) if diff.any() else 0.0
        print(
            f"| {name} | {params} | {sc.ndcg_at_10:.4f} | {sc.recall_at_100:.4f} | {sc.mrr_at_10:.4f} | {diff.mean():+.4f} | {se:.4f} |"
        )
    print(f"\n({time.time() - t0:.0f}s)", file=sys.stderr)


def paired(pq, base, qids):
    """Mean and standard error of the per-query nDCG@10 difference against ``base``."""
    diff = np.array([pq[k]["ndcg@10"] - base[k]["ndcg@10"] for k in qids])
    return diff.mean(), diff.std(ddof=1) / math.sqrt(len(diff))


def print_rows(rows, base, qids):
    print("\n| configuration | nDCG@10 | R@100 | MRR@10 | Δ nDCG@10 vs default | paired SE |")
    print("|---|---|---|---|---|---|")
    for name, sc, pq in rows:
        d, se = paired(pq, base, qids)
        print(
            f"| {name} | {sc.ndcg_at_10:.4f} | {sc.recall_at_100:.4f} | {sc.mrr_at_10:.4f} | {d:+.4f} | {se:.4f} |",
            flush=True,
        )


def term_pairs(sequence, query, window):
    """BM25TP's term-pair instances (Rasolofo & Savoy 2003): for each pair of different query
    terms within ``window`` positions of each other, the sum of 1 / distance²."""
    occurrences = [(i, w) for i, w in enumerate(sequence) if w in query]
    pairs = {}
    for a, (pa, wa) in enumerate(occurrences):
        for pb, wb in occurrences[a + 1 :]:
            if pb - pa > window:
                break
            if wa != wb:
                key = (wa, wb) if wa < wb else (wb, wa)
                pairs[key] = pairs.get(key, 0.0) + 1.0 / (pb - pa) ** 2
    return pairs


def exp_proximity(ds):
    """Term proximity on the bot's passages: each of a query's top 300 passages gains
    ``weight`` × BM25TP's pair score (pairs saturated like a term, weighted by the smaller idf)."""
    t0 = time.time()
    ranker, units, starts, doc_ids = bot_units(ds)
    passages = split_corpus(ds.documents, ranker.settings.min_words, ranker.settings.max_words)
    weighted = {d.id: bool(title_weight(d.title, d.text)) for d in ds.documents}
    # Positions: the title once (when it is weighted), a gap no window spans, then the text.
    sequences = [
        (tokenize(p.title) if weighted[p.document.id] else []) + [None] * 10 + tokenize(p.text)
        for p in passages
    ]
    index = VariantBM25(units)
    norm = 1.2 * index.norm
    q = {qid: list(dict.fromkeys(tokenize(t))) for qid, t in ds.queries.items()}
    base_scores = {qid: index.scores(t) for qid, t in q.items()}
    qids = sorted(ds.qrels)

    def run_for(window, weight) -> tuple:
        run = {}
        for qid, terms in q.items():
            s = base_scores[qid].copy()
            if weight:
                query = set(terms)
                top = np.argpartition(-s, 300)[:300]
                for c in top[s[top] > 0].tolist():
                    pairs = term_pairs(sequences[c], query, window)
                    s[c] += weight * sum(
                        min(index.idf[x], index.idf[y]) * 2.2 * v / (norm[c] + v)
                        for (x, y), v in pairs.items()
                    )
            run[qid] = top_run(aggregate(s, starts, "max"), doc_ids)
        return evaluate(run, ds.qrels), per_query(run, ds.qrels)

    default = run_for(0, 0.0)
    rows = [("default (no proximity)", *default)]
    for window in (3, 5, 8):
        for weight in (0.1, 0.25, 0.5, 1.0):
            rows.append((f"window {window}, weight {weight}", *run_for(window, weight)))
    print_rows(rows, default[1], qids)
    print(f"\n({time.time() - t0:.0f}s)", file=sys.stderr)


def exp_fusion(ds):
    """Document score from several granularities at once: the best 80–250-word passage plus
    a share of the best 150–400-word passage and of the whole document (CombSUM)."""
    t0 = time.time()
    views = {}
    for name, lo, hi in (("p80", 80, 250), ("p150", 150, 400), ("doc", 5000, 5000)):
        _ranker, units, starts, doc_ids = bot_units(ds, lo, hi)
        views[name] = (VariantBM25(units), starts, doc_ids)
    ids = views["p80"][2]
    assert all(v[2] == ids for v in views.values())
    q = {qid: list(dict.fromkeys(tokenize(t))) for qid, t in ds.queries.items()}
    best = {
        name: {qid: aggregate(index.scores(t), starts, "max") for qid, t in q.items()}
        for name, (index, starts, _) in views.items()
    }
    qids = sorted(ds.qrels)

    def measure(combo) -> tuple:
        run = {qid: top_run(sum(w * best[n][qid] for n, w in combo), ids) for qid in q}
        return evaluate(run, ds.qrels), per_query(run, ds.qrels)

    default = measure((("p80", 1.0),))
    rows = [("80–250 passages (default)", *default)]
    for combo in (
        (("p150", 1.0),),
        (("doc", 1.0),),
        (("p80", 1.0), ("doc", 0.25)),
        (("p80", 1.0), ("doc", 0.5)),
        (("p80", 1.0), ("doc", 1.0)),
        (("p80", 1.0), ("p150", 0.5)),
        (("p80", 1.0), ("p150", 1.0)),
        (("p80", 1.0), ("p150", 0.5), ("doc", 0.5)),
    ):
        rows.append((" + ".join(f"{w} × {n}" for n, w in combo), *measure(combo)))
    print_rows(rows, default[1], qids)
    print(f"\n({time.time() - t0:.0f}s)", file=sys.stderr)


def exp_cv(ds, splits=200):
    """How much of the gain over the baseline is tuning to these 809 queries? Choose the best
    configuration of the grid docs/quality.md explored on a random half of the queries, score it
    on the other half, against the baseline on that half; repeated over ``splits`` halvings."""
    from bot.evaluation.baseline import baseline_run
    from bot.evaluation.ranking import DocumentRanker, RankingSettings

    t0 = time.time()
    qids = sorted(ds.qrels)
    results = {}
    for lo, hi in ((40, 120), (80, 250), (100, 300), (150, 400), (5000, 5000)):
        for title in (0, 1, 2, 3):
            ranker = DocumentRanker(
                ds.documents, RankingSettings(min_words=lo, max_words=hi, title_weight=title)
            )
            index = VariantBM25(ranker._terms)
            q = {qid: list(dict.fromkeys(tokenize(t))) for qid, t in ds.queries.items()}
            for k1, b in ((1.2, 0.75), (0.9, 0.4), (1.5, 0.75), (1.2, 0.9)):
                index.set(None, k1, b)
                run = {
                    qid: top_run(
                        aggregate(index.scores(t), ranker._starts, "max"), ranker.document_ids
                    )
                    for qid, t in q.items()
                }
                pq = per_query(run, ds.qrels)
                results[(lo, hi, title, k1, b)] = np.array([pq[k]["ndcg@10"] for k in qids])
        print(f"passages {lo}-{hi}: {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    base_pq = per_query(baseline_run(ds.documents, ds.queries), ds.qrels)
    base = np.array([base_pq[k]["ndcg@10"] for k in qids])
    default = results[(80, 250, 2, 1.2, 0.75)]
    configs = list(results)
    table = np.stack([results[c] for c in configs])
    rng = np.random.default_rng(20261129)
    held_gain, tuned_gain, chosen = [], [], Counter()
    for _ in range(splits):
        mask = np.zeros(len(qids), dtype=bool)
        mask[rng.permutation(len(qids))[: len(qids) // 2]] = True
        pick = int(np.argmax(table[:, mask].mean(axis=1)))
        chosen[configs[pick]] += 1
        tuned_gain.append(table[pick, mask].mean() - base[mask].mean())
        held_gain.append(table[pick, ~mask].mean() - base[~mask].mean())
    diff = default - base
    print(
        f"{len(configs)} configurations; baseline nDCG@10 {base.mean():.4f}, default {default.mean():.4f}"
    )
    print(
        f"default - baseline on all 809: {diff.mean():+.4f} (paired SE {diff.std(ddof=1) / math.sqrt(len(diff)):.4f})"
    )
    print(
        f"{splits} halvings: gain of the half's best configuration over the baseline, on the half it "
        f"was chosen on {np.mean(tuned_gain):+.4f}, on the other half {np.mean(held_gain):+.4f} "
        f"(5th-95th percentile {np.percentile(held_gain, 5):+.4f} to {np.percentile(held_gain, 95):+.4f})"
    )
    for config, count in chosen.most_common(5):
        print(
            f"  chosen {count} times: passages {config[0]}-{config[1]}, title x{config[2]}, k1 {config[3]} b {config[4]}"
        )
    print(f"({time.time() - t0:.0f}s)", file=sys.stderr)


if __name__ == "__main__":
    main()
