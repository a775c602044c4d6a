"""The learned ranker's features: one row per candidate, computed once from what the engine
already computed for the linear score (`Scored`), so training (`MatchEngine.candidate_features`,
which `python -m eval.ltr` calls) and serving (`learned.py`) share this one code path.

Columns (FEATURE_NAMES, in order):
  cos_max_<field>, cos_mean_<field>  per field (description, offer, need, keywords, name): the
                     best and the mean over the candidate's passages of that field of each
                     passage's best raw cosine to a query part (0 without such passages)
  semantic, lexical, reciprocal, trust, peers, known, kind_prior, activity  the linear components
  bm25               the raw BM25 score over the whole profile text (no per-field BM25 yet)
  kind_<k>           one-hot kind of the candidate; seeker_kind_<k> and seeker_none of the seeker
  same_country, neighbouring, same_nuts1, same_nuts2  relations to the seeker (0 without one)
  partnerships       log(1 + corroborated partnerships)
  common_partners, topical_partners  log(1 + count) of the graph's raw counts
  passages, description_chars  log(1 + count): profile length
  language_match     1.0 when the candidate is written in the query's language or either language
                     is unknown (text.language), 0.0 when both are known and differ
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.profiles import Kind, ProfilePublic
from services.matcher.ranking.borders import neighbouring
from services.matcher.ranking.scored import Scored
from services.matcher.ranking.signals import Features, across_languages
from services.matcher.text import FIELD_CODES

__all__ = ["FEATURE_NAMES", "CandidateSet", "feature_matrix", "language_match"]

_FIELDS = tuple(FIELD_CODES)
_KINDS = tuple(k.value for k in Kind)
_COMPONENTS = ("semantic", "lexical", "reciprocal", "trust", "peers", "known")

FEATURE_NAMES: tuple[str, ...] = (
    *(f"cos_{stat}_{field}" for field in _FIELDS for stat in ("max", "mean")),
    *_COMPONENTS,
    "kind_prior",
    "activity",
    "bm25",
    *(f"kind_{k}" for k in _KINDS),
    *(f"seeker_kind_{k}" for k in _KINDS),
    "seeker_none",
    "same_country",
    "neighbouring",
    "same_nuts1",
    "same_nuts2",
    "partnerships",
    "common_partners",
    "topical_partners",
    "passages",
    "description_chars",
    "language_match",
)


def _field_stats(scored: Scored) -> list[np.ndarray]:
    """Per field: each candidate's best and mean passage cosine (raw, best over query parts)."""
    found = scored.found
    n = len(found.ids)
    owner = np.repeat(np.arange(n), found.counts)
    best = found.sims.max(axis=1) if found.sims.shape[1] else np.zeros(len(owner))
    out = []
    for code in FIELD_CODES.values():
        at = found.fields == code
        top = np.zeros(n)
        np.maximum.at(top, owner[at], np.clip(best[at], 0.0, None))
        total = np.bincount(owner[at], weights=best[at], minlength=n)
        count = np.bincount(owner[at], minlength=n)
        out += [top, np.divide(total, count, out=np.zeros(n), where=count > 0)]
    return out


def _relations(candidates: list[ProfilePublic], seeker: ProfilePublic | None) -> list[np.ndarray]:
    n = len(candidates)
    if seeker is None:
        return [np.zeros(n)] * 4
    region = seeker.region or ""

    def same(c: ProfilePublic, length: int) -> bool:
        return len(region) >= length and (c.region or "")[:length] == region[:length]

    return [
        np.array([c.country == seeker.country for c in candidates], dtype=np.float64),
        np.array([neighbouring(c.country, seeker.country) for c in candidates], dtype=np.float64),
        np.array([same(c, 3) for c in candidates], dtype=np.float64),
        np.array([same(c, 4) for c in candidates], dtype=np.float64),
    ]


def language_match(found: Features) -> np.ndarray:
    """Per candidate: 1.0 where its language meets the query's (same, or either unknown)."""
    return 1.0 - across_languages(found).astype(np.float64)


def feature_matrix(scored: Scored, seeker: ProfilePublic | None) -> np.ndarray:
    """(candidates x FEATURE_NAMES) float32 features of these scored candidates."""
    found, components = scored.found, scored.components
    n = len(found.ids)
    kinds = np.array([c.kind.value for c in found.candidates], dtype=str)
    seeker_kind = seeker.kind.value if seeker is not None else None
    columns = [
        *_field_stats(scored),
        *(components[name] for name in _COMPONENTS),
        components["kind"],
        components["activity"],
        scored.pool.lexical_all[scored.pool.rows].astype(np.float64),
        *((kinds == k).astype(np.float64) for k in _KINDS),
        *(np.full(n, float(seeker_kind == k)) for k in _KINDS),
        np.full(n, float(seeker is None)),
        *_relations(found.candidates, seeker),
        np.log1p(found.raw["partnerships"].astype(np.float64)),
        np.log1p(found.common.astype(np.float64)),
        np.log1p(found.raw["topical_partners"].astype(np.float64)),
        np.log1p(found.counts.astype(np.float64)),
        np.log1p(np.array([len(c.description) for c in found.candidates], dtype=np.float64)),
        language_match(found),
    ]
    return np.column_stack(columns).astype(np.float32)


@dataclass(frozen=True)
class CandidateSet:
    """One match's candidates before ranking: their ids (int64), their learned-ranker features
    (float32, candidates x `names`) and the linear score's components (float64, per name)."""

    ids: np.ndarray
    features: np.ndarray
    names: tuple[str, ...] = FEATURE_NAMES
    components: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> CandidateSet:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURE_NAMES)), np.float32))
