"""How candidates are scored: normalised components combined with tunable weights.

Components, each in [0, 1]:
  semantic    best passage cosine (offers boosted against needs, needs damped)
  lexical     BM25 over the profile text, divided by the best candidate's BM25 (across
              languages, where BM25 cannot count: the semantic over the best candidate's,
              `signals.stand_in_lexical`)
  reciprocal  best cosine between the candidate's needs and the seeker's offers
  activity    log(1 + corroborated partnerships), capped at `activity_scale` and divided by
              log(1 + activity_scale): a fixed scale, so no profile moves anyone else's
  kind        prior per organisation kind
  trust       partners shared with the seeker, each counted 1/log(2 + its own partners)
              (Adamic-Adar: a common partner with few partners says more) times its closeness
              to the query squared (`trust_topical`), log-scaled
  peers       partners of the `peer_count` profiles closest to the query (whole index), each
              counted 1/log(2 + its own partners), log(1 + sum) on the fixed PEERS_SCALE
              (corroborated links only): works with the ones on this topic
  known       1 for the seeker's own known partners (only with `include_known_partners`)
  proximity   1 for a candidate in the seeker's country (another region of it, as the seeker's
              own NUTS-2 region is excluded)

The priors (activity, trust, peers) are a bounded bonus: their weighted sum s becomes
prior_cap * (1 - exp(-s / prior_cap)) (about s while small, never above `prior_cap`). The cap
is fitted with the weights (`python -m eval.fit`) under a fairness bound: in no evaluation cell
do the 1% most active organisations take more than 1.5x their share among the real partners of
the top 10; a newcomer with no partners that matches well stays on the first page
(tests/matcher/test_evidence.py).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from services.matcher.text import FIELD_CODES

__all__ = [
    "ACTIVITY_SCALE",
    "COMPONENTS",
    "PEERS_SCALE",
    "PRIORS",
    "RankingWeights",
    "capped",
    "log_scaled",
    "order",
    "passage_weights",
    "scaled",
    "top_rows",
]

COMPONENTS = (
    "semantic",
    "lexical",
    "reciprocal",
    "activity",
    "kind",
    "trust",
    "peers",
    "known",
    "proximity",
)
PRIORS = ("activity", "trust", "peers")  # what the bounded bonus is made of
ACTIVITY_SCALE = 2000.0  # corroborated partnerships at which activity is 1 (the default)
PEERS_SCALE = 20.0  # peer sum at which `peers` is 1


class RankingWeights(BaseModel):
    """The knobs the quality evaluation tunes. The component weights (`lexical` ... `proximity`)
    are fitted by `python -m eval.fit` on a training split a year before the evaluation's;
    `semantic` = 1 sets the scale and `reciprocal` is set by hand (CORDIS profiles have no needs).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    semantic: float = 1.0
    lexical: float = 0.35
    reciprocal: float = 0.2
    activity: float = 0.51
    kind: float = 0.025
    trust: float = 0.56
    peers: float = 0.36
    known: float = 0.3
    trust_topical: float = Field(
        default=2.0, ge=0, description="Exponent on a partner's closeness to the query in trust"
    )
    peer_count: int = Field(
        default=100, ge=0, description="Profiles closest to the need whose partners `peers` counts"
    )
    peer_candidates: bool = Field(
        default=False, description="The best-scored partners of those peers join the candidates"
    )
    activity_scale: float = Field(
        default=ACTIVITY_SCALE, gt=1, description="Corroborated partnerships at which activity is 1"
    )
    active_candidates: int = Field(
        default=300,
        ge=0,
        description="The most active profiles (corroborated partnerships) that join the candidates",
    )
    proximity: float = 0.0
    prior_cap: float = Field(
        default=1.4, gt=0, description="Most the priors (activity, trust, peers) add together"
    )
    offer_boost: float = Field(default=1.15, description="Candidate offer vs a need of the query")
    need_damping: float = Field(default=0.85, description="Candidate need passages (same need)")
    candidates: int = Field(default=400, ge=1, description="Dense top-N and BM25 top-N each")
    kind_prior: dict[str, float] = Field(
        default_factory=lambda: {
            "research": 1.0,
            "company": 0.6,
            "sme": 0.6,
            "cluster": 0.6,
            "public": 0.5,
            "other": 0.4,
        }
    )

    def contributions(self, components: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """What each component adds to the score (the priors share their bounded bonus in
        proportion to their weighted values); they sum to `combine`."""
        out = {name: getattr(self, name) * components[name] for name in COMPONENTS}
        raw = sum((out[name] for name in PRIORS), np.zeros(len(components["semantic"])))
        bonus = self.prior_cap * -np.expm1(-raw / self.prior_cap)
        share = np.divide(bonus, raw, out=np.zeros_like(raw), where=raw > 0)
        for name in PRIORS:
            out[name] = out[name] * share
        return out

    def combine(self, components: dict[str, np.ndarray]) -> np.ndarray:
        """The score: the weighted components, the priors as a bonus bounded by `prior_cap`."""
        total = np.zeros(len(components["semantic"]), dtype=np.float64)
        for part in self.contributions(components).values():
            total += part
        return total


def passage_weights(
    fields: np.ndarray, part_is_need: np.ndarray, weights: RankingWeights
) -> np.ndarray:
    """(passages x query parts) multipliers applied to the cosine similarities."""
    offer = (fields == FIELD_CODES["offer"])[:, None] & part_is_need[None, :]
    need = np.broadcast_to((fields == FIELD_CODES["need"])[:, None], offer.shape)
    return np.where(offer, weights.offer_boost, np.where(need, weights.need_damping, 1.0))


def scaled(values: np.ndarray) -> np.ndarray:
    """Divide by the maximum (zeros stay zeros)."""
    top = float(values.max(initial=0.0))
    return values / top if top > 0 else np.zeros_like(values, dtype=np.float64)


def capped(values: np.ndarray, scale: float) -> np.ndarray:
    """log(1 + min(value, scale)) / log(1 + scale): in [0, 1] on a fixed scale."""
    return np.log1p(np.minimum(values, scale)) / np.log1p(scale)


def log_scaled(values: np.ndarray, top: float) -> np.ndarray:
    return np.log1p(values) / np.log1p(top) if top > 0 else np.zeros_like(values, dtype=np.float64)


def order(scores: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Indices by descending score, ties by ascending id: deterministic."""
    return np.lexsort((ids, -scores))


def top_rows(scores: np.ndarray, ids: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n best positive scores among `mask`."""
    rows = np.flatnonzero(mask & (scores > 0))
    if len(rows) > n:
        cut = np.argpartition(-scores[rows], n - 1)[:n]
        threshold = scores[rows][cut].min()
        rows = rows[scores[rows] >= threshold]  # keep ties at the cut, then order decides
    return rows[order(scores[rows], ids[rows])][:n]
