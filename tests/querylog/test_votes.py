"""Votes on answers, and the passages they mark unhelpful."""

from __future__ import annotations

import pytest

from bot.querylog.dialect import LogConnection
from bot.querylog.listings import feedback
from bot.querylog.scope import EVERYTHING
from bot.querylog.votes import record_vote


def test_votes_change_and_feedback_ranks_unhelpful_passages(db: LogConnection) -> None:
    assert record_vote(db, EVERYTHING, 1, 10, 1, ["doc#1", "doc#2"]) is None
    assert record_vote(db, EVERYTHING, 1, 10, -1, ["doc#1", "doc#2"]) == 1  # changed, not added
    record_vote(db, EVERYTHING, 2, 10, -1, ["doc#2"])
    record_vote(db, EVERYTHING, 2, 11, -1, ["doc#2"])
    record_vote(db, EVERYTHING, 3, 11, 1, ["doc#2", "doc#9"])
    assert db.execute("SELECT count(*) FROM votes").fetchone()[0] == 4
    page = feedback(db, EVERYTHING)
    assert [(p.passage_id, p.down, p.up) for p in page.rows] == [("doc#2", 3, 1), ("doc#1", 1, 0)]
    with pytest.raises(ValueError):
        record_vote(db, EVERYTHING, 1, 10, 0, [])
