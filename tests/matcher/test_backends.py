"""The ONNX int8 encoder backend: exported from the bundled weights into the cache folder, close
to the torch model, and ranking the same texts first; repeated queries come from the cache."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from services.matcher.config import default_model
from services.matcher.embedding import Encoder
from services.profiles.config import ProfilesSettings

DEMO: Path = ProfilesSettings.model_fields["demo_file"].default  # the committed CORDIS demo set

TEXTS = [
    "Laser welding process monitoring for aluminium car body parts.",
    "Sourdough bread bakery with a regional organic flour supply chain.",
    "Cryogenic freezers for vaccine storage and cold-chain logistics.",
    " ".join(f"Research topic {i} on photonic sensors." for i in range(80)),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def int8(cache_dir: Path) -> Encoder:
    return Encoder(default_model(), backend="onnx-int8", cache_dir=cache_dir)


def test_int8_vectors_agree_with_torch(encoder: Encoder, int8: Encoder) -> None:
    reference, fast = encoder.encode(TEXTS), int8.encode(TEXTS)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    assert (reference * fast).sum(axis=1).min() > 0.97
    queries = ["welding of aluminium", "vaccine cold storage", "bread"]
    expected = (encoder.encode(queries) @ reference.T).argmax(axis=1)
    assert ((int8.encode(queries) @ fast.T).argmax(axis=1) == expected).all()


def test_int8_backend_is_named_and_built_once(int8: Encoder, cache_dir: Path) -> None:
    assert int8.backend == "onnx-int8"
    assert int8.name.endswith("#onnx-int8")  # snapshots of another backend are not reused
    (built,) = cache_dir.glob("*/model-int8.onnx")
    stamp = built.stat().st_mtime_ns
    again = Encoder(default_model(), backend="onnx-int8", cache_dir=cache_dir)
    assert built.stat().st_mtime_ns == stamp
    assert np.allclose(again.encode(TEXTS[:1]), int8.encode(TEXTS[:1]), atol=1e-6)


def test_repeated_queries_come_from_the_cache(int8: Encoder) -> None:
    first = int8.encode_queries(["laser welding", "bread"])
    again = int8.encode_queries(["bread", "laser welding"])
    assert np.array_equal(first[0], again[1]) and np.array_equal(first[1], again[0])
    assert int8._query_vector.cache_info().hits >= 2
    assert int8.encode_queries([]).shape == (0, int8.dimension)


def test_shared_passages_are_embedded_once() -> None:
    """Text repeated across profiles (CORDIS partners share project texts) is taken from the
    passage cache, in the same call or a later one; the least recently used entry goes first."""
    cached = Encoder(default_model(), passage_cache=3)
    embedded: list[int] = []
    cached.observer = lambda count, _seconds: embedded.append(count)
    a, b, c, d = TEXTS
    first = cached.encode([a, b])
    again = cached.encode([b, c, b])
    assert embedded == [2, 1]  # c only: b came from the cache, twice
    assert cached.cache_hits == 2
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[1])
    fresh = Encoder(default_model()).encode([a, b, c])
    assert np.allclose(np.vstack([first, again[1:2]]), fresh, atol=1e-5)
    cached.encode([d])  # the cache holds 3: a, the least recently used, is dropped
    cached.encode([b, a])
    assert embedded == [2, 1, 1, 1]


@pytest.mark.parametrize("threads", [2, 1])
def test_bulk_batches_on_parallel_workers_keep_each_text_in_its_row(
    encoder: Encoder, cache_dir: Path, threads: int
) -> None:
    """A bulk call is cut into length-sorted batches embedded by two workers at once (or one
    after the other with one); every vector must come back in its text's row. Real CORDIS
    paragraphs of every length, more than one batch."""
    with gzip.open(DEMO, "rt", encoding="utf-8") as fh:
        descriptions = [json.loads(line)["description"] for line in fh]
    texts = list(dict.fromkeys(p.strip() for d in descriptions for p in d.splitlines()))
    texts = [t for t in texts if len(t.split()) >= 5][:300]
    assert len(texts) == 300
    bulk = Encoder(default_model(), backend="onnx-int8", cache_dir=cache_dir, threads=threads)
    assert bulk._onnx is not None and bulk._onnx.threads == threads
    got, reference = bulk.encode(texts), encoder.encode(texts)
    cosine = got @ reference.T
    assert (cosine.argmax(axis=1) == np.arange(len(texts))).all()
    assert np.diag(cosine).min() > 0.95
