"""crosslink's own ranking, in process: the matcher's MatchEngine over the split's profiles."""

from __future__ import annotations

from datetime import UTC, datetime

from eval.cache import CachingEncoder
from eval.dataset import Query, Split
from eval.runner import DEPTH, Ranker
from models.matching import MatchFilters, MatchRequest
from models.profiles import ProfilePublic
from services.matcher.ranking import RankingWeights
from services.matcher.service import MatchEngine

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
    engine = MatchEngine(encoder, weights=weights)
    engine.upsert(profiles)
    return engine


def engine_ranker(split: Split, engine: MatchEngine) -> Ranker:
    """new: on behalf of the seeker (its region and known partners excluded by the engine);
    all: the same text without a seeker, its region excluded by filter, the seeker dropped."""

    def rank(query: Query, setting: str) -> list[int]:
        if setting == "new":
            request = MatchRequest(text=query.text, seeker_id=query.seeker, limit=DEPTH)
        else:
            region = split.region2(query.seeker)
            filters = MatchFilters(exclude_regions=[region] if region else [])
            request = MatchRequest(text=query.text, filters=filters, limit=DEPTH + 1)
        ids = [r.profile.id for r in engine.match(request).data]
        return [pid for pid in ids if pid != query.seeker][:DEPTH]

    return rank
