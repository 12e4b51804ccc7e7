"""Arrays derived once and kept on disk: read back as derived, derived again when damaged,
derived in memory where the folder cannot take them, never left half-written."""

from __future__ import annotations

import errno
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.analysis import kept_arrays as kept_module
from bot.analysis.kept_arrays import Arrays, kept_arrays

NAMES = ("counts", "labels", "table")


def derivation() -> tuple[Callable[[], Arrays], list[int]]:
    """A derivation that counts its calls."""
    calls: list[int] = []

    def derive() -> Arrays:
        calls.append(1)
        return {
            "counts": np.arange(1000, dtype=np.uint16),
            "labels": np.array(["en", "de", "srl"]),
            "table": -np.linspace(0.5, 9.5, 6000, dtype=np.float32).reshape(100, 60),
        }

    return derive, calls


def same(arrays: Arrays, expected: Arrays) -> bool:
    return sorted(arrays) == sorted(expected) and all(
        arrays[name].dtype == expected[name].dtype and np.array_equal(arrays[name], expected[name])
        for name in expected
    )


def test_a_set_is_derived_once_then_read_as_derived(tmp_path: Path) -> None:
    derive, calls = derivation()
    derived = kept_arrays("tables", "v1", NAMES, derive, tmp_path)
    read = kept_arrays("tables", "v1", NAMES, derive, tmp_path)
    assert calls == [1]
    assert same(read, derive())
    assert same(derived, read)
    (kept,) = tmp_path.iterdir()
    assert kept.name == "tables-v1"
    # Public data every user of the code reads, as numba's cache files are.
    assert stat.S_IMODE(kept.stat().st_mode) == 0o755
    assert {stat.S_IMODE(path.stat().st_mode) for path in kept.iterdir()} == {0o644}


def test_the_arrays_read_are_never_written_back(tmp_path: Path) -> None:
    derive, _ = derivation()
    kept_arrays("tables", "v1", NAMES, derive, tmp_path)
    read = kept_arrays("tables", "v1", NAMES, derive, tmp_path)
    read["counts"][:] = 7  # copy-on-write: this process's pages only
    assert same(kept_arrays("tables", "v1", NAMES, derive, tmp_path), derive())


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:200]), id="cut short"),
        pytest.param(lambda path: path.write_bytes(b"not an array"), id="not an array"),
        pytest.param(lambda path: path.unlink(), id="missing"),
    ],
)
def test_a_damaged_set_is_derived_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: Callable[[Path], object]
) -> None:
    derive, calls = derivation()
    kept_arrays("tables", "v1", NAMES, derive, tmp_path)
    damage(tmp_path / "tables-v1" / "table.npy")
    assert same(kept_arrays("tables", "v1", NAMES, derive, tmp_path), derive())
    assert "damaged" in caplog.text
    assert len(calls) == 3  # first, again, and the expected arrays above
    assert same(kept_arrays("tables", "v1", NAMES, derive, tmp_path), derive())
    assert len(calls) == 4  # kept again whole: read, not derived


def test_an_older_set_of_the_same_name_is_removed(tmp_path: Path) -> None:
    derive, _ = derivation()
    kept_arrays("tables", "v1", NAMES, derive, tmp_path)
    kept_arrays("other", "v1", NAMES, derive, tmp_path)
    kept_arrays("tables", "v2", NAMES, derive, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other-v1", "tables-v2"]


def test_a_folder_that_cannot_be_written_derives_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    derive, _ = derivation()
    assert same(kept_arrays("tables", "v1", NAMES, derive, blocked / "cache"), derive())
    assert blocked.read_text() == "not a folder"
    assert list(tmp_path.iterdir()) == [blocked]


def test_a_set_this_user_may_not_read_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    derive, calls = derivation()
    kept_arrays("tables", "v1", NAMES, derive, tmp_path)

    def refused(source: Path, **_: object) -> object:
        # Another user's set, which root alone can read here.
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(kept_module.np, "load", refused)
    assert same(kept_arrays("tables", "v1", NAMES, derive, tmp_path), derive())
    assert len(calls) == 3  # kept, derived in memory, and the expected arrays
    assert sorted(path.name for path in (tmp_path / "tables-v1").iterdir()) == [
        f"{name}.npy" for name in NAMES
    ]


def test_a_disk_that_fills_while_keeping_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = np.save

    def full_at_the_second(path: Path, values: object, **options: object) -> None:
        if "labels" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        save(path, values, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(kept_module.np, "save", full_at_the_second)
    derive, _ = derivation()
    assert same(kept_arrays("tables", "v1", NAMES, derive, tmp_path), derive())
    assert list(tmp_path.iterdir()) == []


def test_a_set_another_process_kept_first_is_the_one_that_stays(tmp_path: Path) -> None:
    derive, _ = derivation()

    def derive_while_another_keeps() -> Arrays:
        # The other process finishes its set while this one derives.
        kept_arrays("tables", "v1", NAMES, derive, tmp_path)
        return derive()

    assert same(kept_arrays("tables", "v1", NAMES, derive_while_another_keeps, tmp_path), derive())
    assert [path.name for path in tmp_path.iterdir()] == ["tables-v1"]
    assert same(kept_arrays("tables", "v1", NAMES, derive, tmp_path), derive())
