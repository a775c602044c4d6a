"""Technology fields: spherical k-means (FAISS, fixed seed) over the profiles' competence
passages (description, offers, keywords), each field described by its most characteristic terms
(c-TF-IDF) and named by the keyphrases of the passages nearest its centroid that those terms
score best (a phrase a person would use: "Hydrogen and fuel cells", not "fuel, cells, cell").
New fields inherit the id of the old field whose centroid is closest, so the same data always
gives the same fields.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import faiss
import numpy as np

from services.matcher.text import FIELD_CODES

__all__ = [
    "COMPETENCE",
    "MEMBER_SHARE",
    "RECLUSTER_DRIFT",
    "FieldModel",
    "assign",
    "field_count",
    "fit",
    "labels_of",
    "name_of",
    "normalise",
    "term_scores",
]

COMPETENCE = np.array([FIELD_CODES[f] for f in ("description", "offer", "keywords")], np.int8)
SEED = 1234
ITERATIONS = 25
MAX_FIELDS = 50
MEMBER_SHARE = 0.25  # a field holding this share of a profile's competences is one of its fields
RECLUSTER_DRIFT = 0.10  # share of profiles added, changed or removed that triggers re-clustering
INHERIT_SIMILARITY = 0.8  # a new centroid this close to an old one keeps the old field's id
LABEL_TERMS = 6


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


def normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _cluster(vectors: np.ndarray, k: int) -> np.ndarray:
    kmeans = faiss.Kmeans(
        vectors.shape[1], k, niter=ITERATIONS, seed=SEED, spherical=True, verbose=False
    )
    kmeans.train(np.ascontiguousarray(vectors))
    assert kmeans.centroids is not None
    return normalise(kmeans.centroids)


def assign(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def fit(vectors: np.ndarray, n_profiles: int, previous: FieldModel | None) -> FieldModel:
    k = field_count(n_profiles, len(vectors))
    if k == 0:
        return FieldModel([], np.zeros((0, vectors.shape[1]), np.float32))
    centroids = _cluster(vectors, k) if k > 1 else normalise(vectors.mean(axis=0, keepdims=True))
    best, _ = assign(vectors, centroids)
    sizes = np.bincount(best, minlength=k)
    first = np.full(k, len(vectors), dtype=np.int64)
    np.minimum.at(first, best, np.arange(len(vectors)))
    # Canonical order (largest first, then the earliest passage) so ids do not depend on FAISS.
    order = np.lexsort((first, -sizes))
    centroids = centroids[order]
    return FieldModel(_number(centroids, np.arange(k), previous), centroids)


def term_scores(texts: list[list[str]]) -> list[dict[str, float]]:
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
    return [
        {
            t: n / total * float(np.log(1 + average / overall[t]))
            for t, n in c.items()
            if t not in common
        }
        for c, total in zip(counts, totals, strict=True)
    ]


def labels_of(texts: list[list[str]]) -> list[list[str]]:
    """Each field's LABEL_TERMS most characteristic terms, best first."""
    out = []
    for scores in term_scores(texts):
        ranked = sorted(scores.items(), key=lambda ts: (-ts[1], ts[0]))
        out.append([t for t, _ in ranked[:LABEL_TERMS]])
    return out


def _stem(term: str) -> str:
    return term[:5]  # "career"/"careers", "talent"/"talents" are one word for naming


def name_of(phrases: dict[str, int], tokens: dict[str, list[str]], scores: dict[str, float]) -> str:
    """A field's name: its best keyphrase (profiles using it x how characteristic its words
    are), and a second one on other words when it scores at least half as well.

    Args:
        phrases: candidate phrase -> number of the field's profiles using it.
        tokens: candidate phrase -> its terms (as `term_scores` counts them).
        scores: the field's term scores.
    """
    ranked = []
    for phrase, used in phrases.items():
        words = [t for t in tokens.get(phrase, []) if t in scores]
        if not words:
            continue
        ranked.append((used * sum(scores[t] for t in words) / np.sqrt(len(words)), phrase))
    ranked.sort(key=lambda sp: (-sp[0], len(sp[1]), sp[1]))
    chosen: list[str] = []
    stems: set[str] = set()
    for score, phrase in ranked:
        mine = {_stem(t) for t in tokens[phrase]}
        if chosen and (mine & stems or score < ranked[0][0] / 2 or " and " in chosen[0]):
            continue
        chosen.append(phrase)
        stems |= mine
        if len(chosen) == 2:
            break
    if not chosen:  # no keyphrases: the best terms, one per word family
        for term, _ in sorted(scores.items(), key=lambda ts: (-ts[1], ts[0])):
            if _stem(term) not in stems:
                chosen.append(term)
                stems.add(_stem(term))
            if len(chosen) == 2:
                break
    if not chosen:
        return "Unnamed field"

    def lower(phrase: str) -> str:  # "Cancer prevention" -> "cancer prevention", not "HVDC"
        return phrase[:1].lower() + phrase[1:] if phrase[1:2].islower() else phrase

    name = " and ".join([chosen[0], *map(lower, chosen[1:])])
    return name[:1].upper() + name[1:]
