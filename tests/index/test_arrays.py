"""The saved index layout: the file names and dtypes every saved index has, read back whole."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.index import BM25Parameters, PassageIndex
from bot.index.arrays import encoded_term_hashes, posting_file, term_hash
from bot.index.bounds import BoundsLayout

# INDEX_FORMAT 1: a cache written by any earlier build of this format must stay readable.
FORMAT_1 = {
    "term_hash.npy": np.uint64,
    "term_hash_ids.npy": np.int32,
    "indptr.npy": np.int64,
    "docs.npy": np.int32,
    "tfs.npy": np.uint8,  # the smallest that holds the largest count (here 300)
    "idf.npy": np.float64,
    "doc_len.npy": np.int32,
    "long_row.npy": np.int32,
    "range_max.npy": np.float32,
    "range_ptr.npy": np.int32,
    "bitmap_row.npy": np.int32,
    "bitmaps.npy": np.uint8,
    "term_max.npy": np.float64,
    "index_meta.npy": np.float64,
    "terms.blob": None,
    "terms.offsets.npy": np.int64,
}


def test_a_saved_index_has_format_1s_files_and_dtypes(tmp_path: Path) -> None:
    corpus = [["a", "b", "a"], ["b", "c"], ["c"] * 255, []]
    index = PassageIndex.build(corpus, BM25Parameters(k1=0.9, b=0.4), backend="numpy")
    index.save(tmp_path / "idx")
    assert {p.name for p in (tmp_path / "idx").iterdir()} == set(FORMAT_1)
    for name, dtype in FORMAT_1.items():
        if dtype is not None:
            assert np.load(tmp_path / "idx" / name).dtype == dtype, name
    assert np.load(tmp_path / "idx" / "index_meta.npy").tolist() == [1.0, 0.9, 0.4]


def test_saving_refuses_bounds_a_loaded_index_would_misread(tmp_path: Path) -> None:
    """A saved index's ranges are 2**8 passages; other ranges are for in-memory tests only."""
    index = PassageIndex.build([["a"], ["b"]], BM25Parameters(), layout=BoundsLayout(3))
    with pytest.raises(ValueError, match=r"ranges of 2\*\*8 passages"):
        index.save(tmp_path / "idx")


@pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="no posix_fallocate here")
def test_a_posting_file_has_its_disk_blocks_before_it_is_filled(tmp_path: Path) -> None:
    # Sparse, a page written through the map on a full disk would kill the process (SIGBUS);
    # with its blocks reserved, a full disk is an OSError when the file is made.
    array = posting_file(tmp_path, "docs", np.int32, 1_000_000)
    path = tmp_path / "docs.npy"
    assert array.shape == (1_000_000,)
    assert os.stat(path).st_blocks * 512 >= path.stat().st_size


# Letters, digits and lone surrogates (hypothesis leaves the last out unless asked).
@given(st.lists(st.text(st.characters(categories=["L", "N", "Cs"])), max_size=30))
def test_terms_hashed_together_hash_as_one_at_a_time(terms: list[str]) -> None:
    """A build hashes each chunk's new terms together, from the bytes it stores them as; a
    query hashes its terms one by one. Lone surrogates included, which a JSON string holds."""
    encoded = [term.encode("utf-8", "surrogatepass") for term in terms]
    together = encoded_term_hashes(encoded)
    assert together.dtype == np.uint64
    assert together.tolist() == [term_hash(term) for term in terms]
