"""Past its threshold the FAISS index becomes IVF+SQ8 and keeps the VectorIndex behaviour:
search, filters before the cut, removal, vectors by id, snapshots."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from services.matcher.index.vectors import FaissIndex, ivf_lists


def _vectors(count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, 32)).astype(np.float32)
    faiss.normalize_L2(vectors)
    return vectors


def test_index_switches_to_ivf_past_the_threshold_and_keeps_its_contract(tmp_path: Path) -> None:
    vectors = _vectors(600)
    ids = (np.arange(600, dtype=np.int64) + 1) << 8
    index = FaissIndex(32, ivf_threshold=500, nprobe=64, exact_below=10)
    index.add(ids[:400], vectors[:400])
    assert not index.is_ivf
    index.add(ids[400:], vectors[400:])
    assert index.is_ivf and index.count() == 600

    _, found = index.search(vectors[:5], 1)
    assert found[:, 0].tolist() == ids[:5].tolist()
    assert np.allclose(index.vectors(ids[:3]), vectors[:3], atol=0.05)

    narrow = ids[[7, 9]]  # at most exact_below: scored exactly
    _, found = index.search(vectors[:1], 3, allowed=narrow)
    assert set(found[0].tolist()) == {*narrow.tolist(), -1}
    wide = ids[100:300]  # through the IVF selector
    _, found = index.search(vectors[150:151], 5, allowed=wide)
    assert found[0, 0] == ids[150] and set(found[0].tolist()) <= set(wide.tolist())
    _, found = index.search(vectors[150:152], 5, excluded=ids[150:151])  # all but one
    assert ids[150] not in found.ravel().tolist() and found[1, 0] == ids[151]

    frozen = index.frozen()  # what snapshots write, outside the engine lock
    frozen.save(tmp_path / "frozen.faiss")
    copy = FaissIndex(32)
    copy.load(tmp_path / "frozen.faiss")
    assert copy.is_ivf and copy.count() == frozen.count() == 600

    assert index.remove(ids[:2]) == 2
    _, found = index.search(vectors[:1], 5)
    assert ids[0] not in found[0].tolist() and index.count() == 598

    index.save(tmp_path / "index.faiss")
    again = FaissIndex(32)
    again.load(tmp_path / "index.faiss")
    assert again.is_ivf and again.count() == 598
    _, found = again.search(vectors[10:11], 1)
    assert found[0, 0] == ids[10]


def test_ivf_lists_grow_with_the_square_root() -> None:
    assert ivf_lists(1_000_000) == 1024
    assert ivf_lists(100_000) == 256
