"""The one place a matcher is built from its settings: the app's lifespan, `bench/` and `eval/`
all call these, so what is measured and evaluated is what runs."""

from __future__ import annotations

import faiss
import httpx
import threadpoolctl

from services.matcher.config import MatcherSettings
from services.matcher.embedding import Backend, Encoder
from services.matcher.index import FaissIndex, ProfileIndex
from services.matcher.intel import IntelState
from services.matcher.ranking import MatchEngine, RankingWeights, load_ranker
from services.matcher.ranking.feedback import FeedbackBoard
from services.matcher.sync import FeedFollower

__all__ = [
    "build_encoder",
    "build_engine",
    "build_follower",
    "build_intel",
    "limit_threads",
    "prefetch_imports",
]


def limit_threads(settings: MatcherSettings) -> None:
    """FAISS and BLAS threads per search. numpy's OpenBLAS would start its own threads for
    each product and spin them: with requests in parallel that doubled the CPU per match
    (43 vs 26 ms on the full set)."""
    faiss.omp_set_num_threads(settings.search_threads)
    threadpoolctl.threadpool_limits(limits=settings.search_threads, user_api="blas")


def prefetch_imports() -> None:
    """Import what the snapshot restore will need (bm25s and SciPy): the app runs this beside
    `build_encoder`, whose work (hashing the weights, ONNX Runtime's session) mostly leaves the
    interpreter free, so a restart does not wait for these imports after it. (LightGBM is not
    imported here: `learned.import_lightgbm` hides scikit-learn from the whole process while it
    runs, which an encoder being built beside it, through transformers, could trip over.)"""
    import bm25s  # noqa: F401


def build_encoder(settings: MatcherSettings, *, backend: Backend | None = None) -> Encoder:
    """The encoder as the matcher runs it (`backend` overrides the configured one)."""
    return Encoder(
        settings.model,
        batch_size=settings.encoder_batch_size,
        backend=backend or settings.encoder_backend,
        cache_dir=settings.model_cache_dir,
        threads=settings.encoder_threads,
        query_cache=settings.query_cache,
        passage_cache=settings.passage_cache,
    )


def build_engine(
    settings: MatcherSettings, encoder: Encoder, *, weights: RankingWeights | None = None
) -> MatchEngine:
    """A match engine over an empty profile index configured by `settings`."""
    index = FaissIndex(
        encoder.dimension,
        ivf_threshold=settings.faiss_ivf_threshold,
        nprobe=settings.faiss_nprobe,
        exact_below=settings.faiss_exact_below,
    )
    profiles = ProfileIndex(
        encoder,
        index,
        lexicon_inline_below=settings.bm25_inline_below,
        compact_above=settings.passage_store_compact_above,
        trusted_hubs=settings.trusted_hubs,
    )
    feedback = FeedbackBoard(
        weight=settings.feedback_weight,
        saturation=settings.feedback_saturation,
        quorum=settings.feedback_quorum,
    )
    return MatchEngine(
        encoder,
        profiles=profiles,
        weights=weights,
        concurrency=settings.match_concurrency,
        ranker=load_ranker(settings.ranker, settings.ranker_model, encoder.name),
        feedback=feedback,
    )


def build_follower(
    settings: MatcherSettings, engine: MatchEngine, client: httpx.AsyncClient
) -> FeedFollower:
    """The change-feed follower that keeps `engine` current."""
    return FeedFollower(
        engine,
        client,
        page_size=settings.feed_page_size,
        poll_interval=settings.poll_interval,
        wait=settings.feed_wait,
        timeout=settings.upstream_timeout,
        max_backoff=settings.feed_max_backoff,
    )


def build_intel(settings: MatcherSettings, engine: MatchEngine) -> IntelState:
    """The background cluster intelligence over `engine`'s profiles."""
    return IntelState(engine.profiles, settle=settings.intel_settle)
