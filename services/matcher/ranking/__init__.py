"""Ranking: the query (from text or a profile), its candidates, their signals, the weights that
combine them, the explanations, and the `MatchEngine` that composes them."""

from services.matcher.ranking.engine import MatchEngine
from services.matcher.ranking.query import Query
from services.matcher.ranking.scored import Scored
from services.matcher.ranking.weights import COMPONENTS, RankingWeights, order

__all__ = ["COMPONENTS", "MatchEngine", "Query", "RankingWeights", "Scored", "order"]
