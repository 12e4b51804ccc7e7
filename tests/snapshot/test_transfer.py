"""A build's workers send each term's string once a numbering generation, then its number: the
parent numbers every chunk's terms as looking each string up would."""

from __future__ import annotations

import numpy as np
import pytest

from bot.index.bm25 import BM25Parameters
from bot.index.build import IndexBuilder
from bot.snapshot.transfer import SentTerms, TermOrigins, TermReceiver, TermSender


def origins(generation: int, lasting: list[int]) -> TermOrigins:
    return TermOrigins(
        np.full(len(lasting), generation, dtype=np.int64), np.asarray(lasting, dtype=np.int64)
    )


def test_a_worker_sends_each_string_once_a_generation() -> None:
    sender = TermSender()
    assert sender.send(["river", "delta"], origins(7, [0, 1])).new == ["river", "delta"]
    assert sender.send(["gold", "river"], origins(7, [2, 0])).new == ["gold"]
    # The numbering forgot: a new generation's numbers mean other terms.
    assert sender.send(["river"], origins(9, [0])).new == ["river"]
    mixed = TermOrigins(np.array([7, 9, 7]), np.array([1, 1, 5]))
    assert sender.send(["delta", "coffee", "strike"], mixed).new == ["coffee", "strike"]
    assert sender.send([], origins(7, [])).new == []


def test_the_parent_numbers_each_chunk_as_looking_up_every_string_does() -> None:
    """Two workers, each numbering its terms its own way and forgetting now and then, send
    chunks in turn: the parent's numbers, and its vocabulary's order, are those of a builder
    given every chunk's strings."""
    rng = np.random.default_rng(3)
    words = [f"w{number}" for number in range(400)]
    senders = [TermSender(), TermSender()]
    numberings: list[dict[str, int]] = [{}, {}]
    generations = [0, 100]
    received, builder, looked_up = (
        TermReceiver(),
        IndexBuilder(BM25Parameters()),
        IndexBuilder(BM25Parameters()),
    )
    for chunk in range(60):
        worker = chunk % 2
        if rng.random() < 0.1:  # the worker's numbering forgets
            numberings[worker], generations[worker] = {}, generations[worker] + 1
        numbering = numberings[worker]
        terms = list(dict.fromkeys(rng.choice(words, size=int(rng.integers(0, 60))).tolist()))
        lasting = [numbering.setdefault(term, len(numbering)) for term in terms]
        sent = senders[worker].send(terms, origins(generations[worker], lasting))
        ids = received.term_ids(sent, builder)
        assert ids.tolist() == looked_up.term_ids(terms).tolist()
    assert list(builder._vocabulary) == list(looked_up._vocabulary)


def test_terms_that_do_not_match_what_was_sent_are_refused() -> None:
    received, builder = TermReceiver(), IndexBuilder(BM25Parameters())
    received.term_ids(SentTerms("w", origins(1, [0, 1]), ["a", "b"]), builder)
    with pytest.raises(ValueError, match="do not match"):
        received.term_ids(SentTerms("w", origins(1, [1, 2]), []), builder)
