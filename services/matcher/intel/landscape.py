"""A `Landscape`: everything the intelligence views are computed from — the fields, every
profile's share of competence passages per field, its mean competence vector, and its needs and
offers — read from the profile index's passage-store vectors (the ones the ranking scores on).
While few profiles changed it keeps the previous centroids (field ids stay); past
`RECLUSTER_DRIFT` it re-clusters.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import faiss
import numpy as np

from models.profiles import ProfilePublic
from services.matcher.index import ProfileIndex
from services.matcher.intel.fields import (
    COMPETENCE,
    MEMBER_SHARE,
    FieldModel,
    assign,
    fit,
    labels_of,
    name_of,
    normalise,
    term_scores,
)
from services.matcher.text import FIELD_CODES, Passage, tokenize

__all__ = ["Landscape", "build_landscape", "drift", "versions_of"]

log = logging.getLogger("crosslink.matcher.fields")

LABEL_PASSAGES = 300  # the passages closest to a centroid are the ones that label it
PHRASE_WORDS = 4  # a keyword or offer of at most this many words can name a field
OFFER_PROBES = 6


@dataclass
class Landscape:
    """The profiles seen through the fields; row i of every per-profile array is profiles[i]."""

    model: FieldModel
    labels: list[list[str]]
    names: list[str]
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
    computed_at: datetime | None = None
    cache: dict[tuple[object, ...], Any] = field(default_factory=dict)  # results derived from it

    def __post_init__(self) -> None:
        self.row_of = {p.id: i for i, p in enumerate(self.profiles)}

    @functools.cached_property
    def members(self) -> np.ndarray:
        """(n, k) bool: the profile's fields (its main one and any above MEMBER_SHARE)."""
        out = self.weights >= MEMBER_SHARE
        has = self.primary >= 0
        out[np.flatnonzero(has), self.primary[has]] = True
        return out

    def field_id(self, i: int) -> str:
        return self.model.ids[i]

    def label(self, i: int) -> str:
        return self.names[i]

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


def _read(profiles: ProfileIndex) -> _Raw:
    """A consistent copy of the profiles, their passages and passage-store vectors."""
    empty = np.zeros(0, dtype=np.int64)
    with profiles.reading():
        view = profiles.view
        ordered = sorted(view.profiles.values(), key=lambda p: p.id)
        lists = [view.passages[p.id] for p in ordered]
        counts = np.array([len(x) for x in lists], dtype=np.int64)
        rows = np.repeat(np.arange(len(ordered), dtype=np.int64), counts)
        store_rows = np.concatenate([*(view.store_rows[p.id] for p in ordered), empty])
        vectors = view.store_vectors(store_rows)
        seq = profiles.seq
    passages = [p for x in lists for p in x]
    codes = np.array([FIELD_CODES[p.field] for p in passages], dtype=np.int8)
    return _Raw(ordered, passages, rows, codes, np.asarray(vectors, np.float32), seq)


def versions_of(profiles: ProfileIndex) -> dict[int, int]:
    """{profile id: version} of the indexed profiles."""
    with profiles.reading():
        return {pid: p.version for pid, p in profiles.view.profiles.items()}


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


def _phrases(raw: _Raw, passages: np.ndarray) -> dict[str, set[int]]:
    """Keywords and short offers of these passages -> the profile rows using them."""
    used: dict[str, set[int]] = {}
    for i in passages:
        passage = raw.passages[int(i)]
        if passage.field == "keywords":
            candidates = passage.text.split(", ")
        elif passage.field == "offer" and not _shouting(passage.text):
            candidates = [passage.text]  # a short offer ("laser welding"), not a project title
        else:
            continue
        for phrase in candidates:
            phrase = " ".join(phrase.split()).strip(" .;")
            if phrase and len(phrase.split()) <= PHRASE_WORDS and len(phrase) <= 60:
                used.setdefault(phrase, set()).add(int(raw.rows[int(i)]))
    return used


def _shouting(text: str) -> bool:
    """Project titles spelling out acronyms ("POwer StoragE", "bioMEthane") make poor names."""
    letters = [c for c in text if c.isalpha()]
    camel = any(a.islower() and b.isupper() for a, b in zip(text, text[1:], strict=False))
    return camel or sum(c.isupper() for c in letters) > len(letters) / 3


def _names(phrases: list[dict[str, set[int]]], scores: list[dict[str, float]]) -> list[str]:
    """Each field's name from its phrases; one spelling per phrase (the most used)."""
    wording = [p for field in phrases for p in field]
    tokens = dict(zip(wording, tokenize(wording), strict=True)) if wording else {}
    names = []
    for used, field_scores in zip(phrases, scores, strict=True):
        spelling: dict[str, tuple[int, str]] = {}  # lower-cased -> (most rows, its spelling)
        rows: dict[str, set[int]] = {}
        for phrase, users in used.items():
            key = phrase.casefold()
            rows.setdefault(key, set()).update(users)
            if key not in spelling or len(users) > spelling[key][0]:
                spelling[key] = (len(users), phrase)
        counts = {spelling[key][1]: len(users) for key, users in rows.items()}
        names.append(name_of(counts, tokens, field_scores))
    return names


def build_landscape(
    profiles: ProfileIndex, previous: FieldModel | None, *, refit: bool
) -> Landscape:
    """Compute the landscape; `refit` re-clusters, otherwise `previous`'s centroids are kept."""
    started = time.perf_counter()
    raw = _read(profiles)
    n, dim = len(raw.profiles), raw.vectors.shape[1]
    competent = np.isin(raw.codes, COMPETENCE)
    comp_vectors = raw.vectors[competent]
    comp_rows = raw.rows[competent]
    if refit or previous is None:
        model = fit(comp_vectors, n, previous)
    else:
        model = previous
    k = len(model.numbers)
    weights = np.zeros((n, k), dtype=np.float32)
    primary = np.full(n, -1, dtype=np.int64)
    labels: list[list[str]] = []
    names: list[str] = []
    field_passages = np.zeros(k, dtype=np.int64)
    if k and len(comp_vectors):
        best, sims = assign(comp_vectors, model.centroids)
        np.add.at(weights, (comp_rows, best), 1.0)
        weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        has = weights.sum(axis=1) > 0
        primary[has] = weights[has].argmax(axis=1)  # ties: the lower field
        field_passages = np.bincount(best, minlength=k)
        passage_numbers = np.flatnonzero(competent)
        texts = []
        phrases: list[dict[str, set[int]]] = []
        for f in range(k):
            mine = np.flatnonzero(best == f)
            closest = mine[np.argsort(-sims[mine], kind="stable")[:LABEL_PASSAGES]]
            texts.append(" ".join(raw.passages[passage_numbers[i]].text for i in closest))
            phrases.append(_phrases(raw, passage_numbers[closest]))
        tokens = tokenize(texts)
        labels = labels_of(tokens)
        names = _names(phrases, term_scores(tokens))
    sums = np.zeros((n, dim), dtype=np.float32)
    np.add.at(sums, comp_rows, comp_vectors)
    need_rows = np.flatnonzero(raw.codes == FIELD_CODES["need"])
    offer_rows = np.flatnonzero(raw.codes == FIELD_CODES["offer"])
    offer_vectors = np.ascontiguousarray(raw.vectors[offer_rows])
    landscape = Landscape(
        model=model,
        labels=labels,
        names=names,
        profiles=raw.profiles,
        weights=weights,
        primary=primary,
        vectors=normalise(sums),
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
    landscape.computed_at = datetime.now(UTC)
    log.debug(
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
