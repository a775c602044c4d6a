"""Technology fields: spherical k-means (FAISS, fixed seed) over the profiles' competence passages
(description, offers, keywords), each field labelled by its most characteristic terms (c-TF-IDF).

A `Landscape` is everything the intelligence views are computed from: the fields, every profile's
share of competence passages per field, its mean competence vector, and its needs and offers.
`Landscapes` keeps the current one and rebuilds it when the profiles changed: with the same
centroids while few changed (field ids stay), re-clustering when more than `RECLUSTER_DRIFT` did
(new fields inherit the id of the old field whose centroid is closest). The same data always
gives the same fields.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from models.profiles import ProfilePublic
from services.matcher.corpus import tokenize
from services.matcher.encoder import FIELD_CODES, Passage
from services.matcher.service import MatchEngine

log = logging.getLogger("crosslink.matcher.fields")

COMPETENCE = np.array([FIELD_CODES[f] for f in ("description", "offer", "keywords")], np.int8)
SEED = 1234
ITERATIONS = 25
MAX_FIELDS = 50
MEMBER_SHARE = 0.25  # a field holding this share of a profile's competences is one of its fields
RECLUSTER_DRIFT = 0.10  # share of profiles added, changed or removed that triggers re-clustering
INHERIT_SIMILARITY = 0.8  # a new centroid this close to an old one keeps the old field's id
LABEL_TERMS = 6
LABEL_PASSAGES = 300  # the passages closest to a centroid are the ones that label it
OFFER_PROBES = 6


def field_count(profiles: int, passages: int) -> int:
    """About sqrt(profiles) fields, at least 2, at most MAX_FIELDS and never above `passages`."""
    return int(min(passages, max(2, min(MAX_FIELDS, round(np.sqrt(profiles))))))


@dataclass
class FieldModel:
    numbers: list[int]  # field i is "F{numbers[i]}"
    centroids: np.ndarray  # (k, d), L2-normalised

    @property
    def ids(self) -> list[str]:
        return [f"F{n}" for n in self.numbers]


@dataclass
class Landscape:
    """The profiles seen through the fields; row i of every per-profile array is profiles[i]."""

    model: FieldModel
    labels: list[list[str]]
    profiles: list[ProfilePublic]
    weights: np.ndarray  # (n, k): share of the profile's competence passages in each field
    primary: np.ndarray  # (n,): its main field, -1 without competence passages
    vectors: np.ndarray  # (n, d): normalised mean competence vector (zeros without)
    field_passages: np.ndarray  # (k,)
    needs: list[tuple[int, Passage]]  # (profile row, passage)
    need_vectors: np.ndarray
    offers: list[tuple[int, Passage]]
    offer_vectors: np.ndarray
    offer_index: faiss.Index | None
    seq: int
    versions: dict[int, int]
    row_of: dict[int, int] = field(default_factory=dict)
    computed_in: float = 0.0
    cache: dict[tuple[object, ...], Any] = field(default_factory=dict)  # results derived from it

    def __post_init__(self) -> None:
        self.row_of = {p.id: i for i, p in enumerate(self.profiles)}

    @property
    def members(self) -> np.ndarray:
        """(n, k) bool: the profile's fields (its main one and any above MEMBER_SHARE)."""
        out = self.weights >= MEMBER_SHARE
        has = self.primary >= 0
        out[np.flatnonzero(has), self.primary[has]] = True
        return out

    def field_id(self, i: int) -> str:
        return self.model.ids[i]

    def label(self, i: int) -> str:
        return ", ".join(self.labels[i])

    def index_of(self, field_id: str) -> int | None:
        ids = self.model.ids
        return ids.index(field_id) if field_id in ids else None


@dataclass
class _Raw:
    profiles: list[ProfilePublic]
    passages: list[Passage]
    rows: np.ndarray  # profile row of each passage
    codes: np.ndarray  # FIELD_CODES of each passage
    vectors: np.ndarray
    seq: int


def _read(engine: MatchEngine) -> _Raw:
    """A consistent copy of the engine's profiles, passages and passage vectors."""
    # The engine has no public bulk view yet; read its maps under its own lock.
    with engine.reading():
        profiles = sorted(engine._profiles.values(), key=lambda p: p.id)
        lists = [engine._passages[p.id] for p in profiles]
        counts = np.array([len(x) for x in lists], dtype=np.int64)
        rows = np.repeat(np.arange(len(profiles), dtype=np.int64), counts)
        numbers = np.arange(len(rows), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        pids = np.array([p.id for p in profiles], dtype=np.int64)
        vectors = engine.index.vectors((pids[rows] << 8) | numbers)
        seq = engine.seq
    passages = [p for x in lists for p in x]
    codes = np.array([FIELD_CODES[p.field] for p in passages], dtype=np.int8)
    return _Raw(profiles, passages, rows, codes, np.asarray(vectors, np.float32), seq)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _cluster(vectors: np.ndarray, k: int) -> np.ndarray:
    kmeans = faiss.Kmeans(
        vectors.shape[1], k, niter=ITERATIONS, seed=SEED, spherical=True, verbose=False
    )
    kmeans.train(np.ascontiguousarray(vectors))
    assert kmeans.centroids is not None
    return _normalise(kmeans.centroids)


def _assign(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = faiss.IndexFlatIP(centroids.shape[1])
    index.add(centroids)
    sims, best = index.search(np.ascontiguousarray(vectors), 1)
    return best[:, 0].astype(np.int64), sims[:, 0]


def _number(centroids: np.ndarray, order: np.ndarray, previous: FieldModel | None) -> list[int]:
    """Field numbers: inherited from the closest previous field, else fresh (1, 2, ...)."""
    numbers: dict[int, int] = {}
    if previous is not None and len(previous.numbers):
        sims = centroids @ previous.centroids.T
        taken: set[int] = set()
        for flat in np.argsort(-sims, axis=None, kind="stable"):
            i, j = divmod(int(flat), sims.shape[1])
            if sims[i, j] < INHERIT_SIMILARITY:
                break
            if i not in numbers and j not in taken:
                numbers[i] = previous.numbers[j]
                taken.add(j)
    fresh = max([*numbers.values(), *(previous.numbers if previous else [])], default=0) + 1
    for i in order:
        if int(i) not in numbers:
            numbers[int(i)] = fresh
            fresh += 1
    return [numbers[i] for i in range(len(centroids))]


def _fit(vectors: np.ndarray, n_profiles: int, previous: FieldModel | None) -> FieldModel:
    k = field_count(n_profiles, len(vectors))
    if k == 0:
        return FieldModel([], np.zeros((0, vectors.shape[1]), np.float32))
    centroids = _cluster(vectors, k) if k > 1 else _normalise(vectors.mean(axis=0, keepdims=True))
    best, _ = _assign(vectors, centroids)
    sizes = np.bincount(best, minlength=k)
    first = np.full(k, len(vectors), dtype=np.int64)
    np.minimum.at(first, best, np.arange(len(vectors)))
    # Canonical order (largest first, then the earliest passage) so ids do not depend on FAISS.
    order = np.lexsort((first, -sizes))
    centroids = centroids[order]
    return FieldModel(_number(centroids, np.arange(k), previous), centroids)


def _labels(texts: list[list[str]]) -> list[list[str]]:
    """c-TF-IDF: a term's frequency in the field against its frequency in all fields."""
    counts = [Counter(t for t in doc if len(t) > 2 and not t.isdigit()) for doc in texts]
    totals = np.array([sum(c.values()) for c in counts], dtype=np.float64)
    overall: Counter[str] = Counter()
    for c in counts:
        overall.update(c)
    spread: Counter[str] = Counter()
    for c in counts:
        spread.update(c.keys())
    # With several fields, a word found in most of them ("project", "research") labels none.
    common = {t for t, n in spread.items() if len(counts) >= 4 and n > len(counts) / 2}
    average = float(totals.mean()) if len(totals) else 0.0
    out = []
    for c, total in zip(counts, totals, strict=True):
        scored = [
            (n / total * np.log(1 + average / overall[t]), t)
            for t, n in c.items()
            if t not in common
        ]
        scored.sort(key=lambda st: (-st[0], st[1]))
        out.append([t for _, t in scored[:LABEL_TERMS]])
    return out


def _offer_index(vectors: np.ndarray, centroids: np.ndarray) -> faiss.Index | None:
    """Offers in an IVF index whose lists are the fields: a need is compared with the offers of
    the few fields closest to it, not with every offer."""
    if not len(vectors) or not len(centroids):
        return None
    quantizer = faiss.IndexFlatIP(centroids.shape[1])
    quantizer.add(centroids)
    index = faiss.IndexIVFFlat(
        quantizer, centroids.shape[1], len(centroids), faiss.METRIC_INNER_PRODUCT
    )
    index.nprobe = min(len(centroids), OFFER_PROBES)
    index.add_with_ids(vectors, np.arange(len(vectors), dtype=np.int64))
    return index


def build_landscape(engine: MatchEngine, previous: FieldModel | None, *, refit: bool) -> Landscape:
    """Compute the landscape; `refit` re-clusters, otherwise `previous`'s centroids are kept."""
    started = time.perf_counter()
    raw = _read(engine)
    n, dim = len(raw.profiles), raw.vectors.shape[1]
    competent = np.isin(raw.codes, COMPETENCE)
    comp_vectors = raw.vectors[competent]
    comp_rows = raw.rows[competent]
    if refit or previous is None:
        model = _fit(comp_vectors, n, previous)
    else:
        model = previous
    k = len(model.numbers)
    weights = np.zeros((n, k), dtype=np.float32)
    primary = np.full(n, -1, dtype=np.int64)
    labels: list[list[str]] = []
    field_passages = np.zeros(k, dtype=np.int64)
    if k and len(comp_vectors):
        best, sims = _assign(comp_vectors, model.centroids)
        np.add.at(weights, (comp_rows, best), 1.0)
        weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        has = weights.sum(axis=1) > 0
        primary[has] = weights[has].argmax(axis=1)  # ties: the lower field
        field_passages = np.bincount(best, minlength=k)
        passage_numbers = np.flatnonzero(competent)
        texts = []
        for f in range(k):
            mine = np.flatnonzero(best == f)
            closest = mine[np.argsort(-sims[mine], kind="stable")[:LABEL_PASSAGES]]
            texts.append(" ".join(raw.passages[passage_numbers[i]].text for i in closest))
        labels = _labels(tokenize(texts))
    sums = np.zeros((n, dim), dtype=np.float32)
    np.add.at(sums, comp_rows, comp_vectors)
    need_rows = np.flatnonzero(raw.codes == FIELD_CODES["need"])
    offer_rows = np.flatnonzero(raw.codes == FIELD_CODES["offer"])
    offer_vectors = np.ascontiguousarray(raw.vectors[offer_rows])
    landscape = Landscape(
        model=model,
        labels=labels,
        profiles=raw.profiles,
        weights=weights,
        primary=primary,
        vectors=_normalise(sums),
        field_passages=field_passages,
        needs=[(int(raw.rows[i]), raw.passages[i]) for i in need_rows],
        need_vectors=np.ascontiguousarray(raw.vectors[need_rows]),
        offers=[(int(raw.rows[i]), raw.passages[i]) for i in offer_rows],
        offer_vectors=offer_vectors,
        offer_index=_offer_index(offer_vectors, model.centroids),
        seq=raw.seq,
        versions={p.id: p.version for p in raw.profiles},
    )
    landscape.computed_in = time.perf_counter() - started
    log.info(
        "fields: %d over %d profiles (%s) in %.2f s",
        k,
        n,
        "re-clustered" if model is not previous else "same centroids",
        landscape.computed_in,
    )
    return landscape


def drift(old: dict[int, int], new: dict[int, int]) -> float:
    """Share of profiles added, removed or changed between two {id: version} maps."""
    changed = len(old.keys() ^ new.keys()) + sum(
        1 for pid in old.keys() & new.keys() if old[pid] != new[pid]
    )
    return changed / max(len(old), 1)


class Landscapes:
    """The current landscape of one engine, rebuilt only when its profiles changed."""

    def __init__(self, engine: MatchEngine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._current: Landscape | None = None

    def current(self, *, recompute: bool = False) -> Landscape:
        with self._lock:
            with self.engine.reading():
                versions = {pid: p.version for pid, p in self.engine._profiles.items()}
            old = self._current
            if old is not None and not recompute and old.versions == versions:
                return old
            refit = recompute or old is None or drift(old.versions, versions) > RECLUSTER_DRIFT
            self._current = build_landscape(self.engine, old.model if old else None, refit=refit)
            return self._current
