"""The passage store: one row per distinct text, shared by the profiles that repeat it, freed
when the last one goes; its scores equal the plain product, in float32 and in float16."""

from __future__ import annotations

import numpy as np
import pytest

from services.matcher.index import PassageStore


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_shared_texts_share_a_row_and_are_freed_with_the_last_reference() -> None:
    store = PassageStore(3)
    a, b, c = _unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)
    first = store.add(["project A", "project B"], np.stack([a, b]))
    second = store.add(["project B", "own text"], np.stack([b, c]))
    assert len(store) == 3 and first[1] == second[0]  # "project B" is held once
    assert np.allclose(store.vectors(second), np.stack([b, c]), atol=1e-3)

    store.release(first)  # "project A" goes; "project B" is still referred to
    assert len(store) == 2
    assert np.allclose(store.vectors(second[:1]), b[None, :], atol=1e-3)
    again = store.add(["new text"], _unit(1, 1, 0)[None, :])
    assert again[0] == first[0]  # the freed row is reused
    store.release(store.retain(second))  # retain + release leaves it as it was
    assert len(store) == 3


@pytest.mark.parametrize("compact_above", [262_144, 2_048], ids=["float32", "turns-float16"])
def test_similarities_match_the_plain_product_and_grow_past_the_first_block(
    compact_above: int,
) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((3000, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = PassageStore(8, compact_above=compact_above)
    rows = store.add([f"text {i % 2500}" for i in range(3000)], vectors)  # 500 repeats
    assert len(store) == 2500
    queries = vectors[:2]
    picked = rows[[0, 2500, 7, 7, 2999]]  # 2500 repeats text 0
    got = store.similarities(picked, queries)
    expected = vectors[[0, 0, 7, 7, 499]] @ queries.T
    assert got.shape == (5, 2) and np.allclose(got, expected, atol=2e-3)
    # a row the store does not hold is an error, never a read past the matrix
    with pytest.raises(IndexError):
        store.similarities(np.array([0, 10**6]), queries)
