"""One match's candidates as scored: what `MatchEngine.score` returns, the quality evaluation
fits the weights on, and the explanations are written from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.matcher.ranking.candidates import Pool
from services.matcher.ranking.signals import Features

__all__ = ["Scored"]


@dataclass
class Scored:
    """The candidates and their components (one array entry per candidate)."""

    found: Features
    pool: Pool
    components: dict[str, np.ndarray]
    best_sim: np.ndarray  # per passage: best weighted cosine over the query parts
    best_part: np.ndarray  # per passage: which query part
    tokens: list[str]
    query_ids: dict[str, int]  # the query's tokens that have a vocabulary id

    @property
    def ids(self) -> np.ndarray:
        return self.found.ids
