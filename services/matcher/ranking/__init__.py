"""Ranking: the query (from text or a profile), its candidates, their signals, the weights that
combine them, the explanations, and the `MatchEngine` that composes them."""

from services.matcher.ranking.engine import MatchEngine
from services.matcher.ranking.features import FEATURE_NAMES, CandidateSet, feature_matrix
from services.matcher.ranking.learned import LearnedRanker, RankerMode, encoder_label, load_ranker
from services.matcher.ranking.query import Query
from services.matcher.ranking.scored import Scored
from services.matcher.ranking.weights import COMPONENTS, RankingWeights, capped, order

__all__ = [
    "COMPONENTS",
    "FEATURE_NAMES",
    "CandidateSet",
    "LearnedRanker",
    "MatchEngine",
    "Query",
    "RankerMode",
    "RankingWeights",
    "Scored",
    "capped",
    "encoder_label",
    "feature_matrix",
    "load_ranker",
    "order",
]
