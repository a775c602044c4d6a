"""crosslink's own ranking, in process: the matcher's MatchEngine over the split's profiles."""

from __future__ import annotations

from datetime import UTC, datetime

from eval.cache import CachingEncoder
from eval.dataset import Query, Split
from eval.runner import DEPTH, Ranker
from models.matching import MatchRequest
from models.profiles import ProfilePublic
from services.matcher import wiring
from services.matcher.config import MatcherSettings
from services.matcher.ranking import MatchEngine, RankingWeights

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def public_profiles(split: Split) -> list[ProfilePublic]:
    return [
        ProfilePublic(**record, id=pid, created_at=EPOCH, updated_at=EPOCH, version=1)
        for pid, record in enumerate(split.profiles, start=1)
    ]


def build_engine(
    split: Split,
    encoder: CachingEncoder,
    profiles: list[ProfilePublic],
    weights: RankingWeights | None = None,
) -> MatchEngine:
    engine = wiring.build_engine(MatcherSettings(), encoder, weights=weights)
    engine.upsert(profiles)
    return engine


def engine_ranker(
    split: Split, engine: MatchEngine, weights: RankingWeights | None = None
) -> Ranker:
    """Always on behalf of the seeker (its NUTS-2 region excluded by the engine). new: its known
    partners excluded, as the product does by default; all: `include_known_partners`, so its
    earlier partners stay in the ranking (ranked up by the `known` component)."""

    chosen = weights or engine.weights

    def rank(query: Query, setting: str) -> list[int]:
        engine.weights = chosen  # one engine serves every weight variant
        request = MatchRequest(
            text=query.text,
            seeker_id=query.seeker,
            limit=DEPTH + 1,
            include_known_partners=setting != "new",
        )
        ids = [r.profile.id for r in engine.match(request).data]
        return [pid for pid in ids if pid != query.seeker][:DEPTH]

    return rank
