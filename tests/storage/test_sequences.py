"""LazySequence: the indexing rules every on-demand view of the snapshot relies on."""

from __future__ import annotations

import bisect

import pytest

from bot.storage.sequences import LazySequence


class Squares(LazySequence[int]):
    """0, 1, 4, ... made on demand; counts how many items were made."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.made: list[int] = []

    def __len__(self) -> int:
        return self.size

    def _item(self, index: int) -> int:
        assert 0 <= index < self.size, "LazySequence passes only in-range indexes"
        self.made.append(index)
        return index * index


def test_indexes_slices_and_iteration_behave_like_a_list() -> None:
    squares = Squares(6)
    expected = [0, 1, 4, 9, 16, 25]
    for index in range(-6, 6):
        assert squares[index] == expected[index]
    for piece in (slice(None), slice(1, 4), slice(None, None, -2), slice(-3, None), slice(9, 12)):
        assert squares[piece] == expected[piece]
    assert list(squares) == expected
    assert list(reversed(squares)) == expected[::-1]
    assert 16 in squares and 15 not in squares
    assert squares.index(9) == 3


@pytest.mark.parametrize("index", [6, 7, -7, -100])
def test_out_of_range_is_an_index_error(index: int) -> None:
    with pytest.raises(IndexError):
        Squares(6)[index]


def test_bisect_makes_only_the_items_it_compares() -> None:
    squares = Squares(1000)
    assert bisect.bisect_left(squares, 490_000) == 700
    assert len(squares.made) <= 11


def test_an_empty_sequence() -> None:
    empty = Squares(0)
    assert list(empty) == [] and empty[:] == []
    with pytest.raises(IndexError):
        empty[0]
