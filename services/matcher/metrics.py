"""The matcher's own Prometheus figures: index size, applied seq, feed lag, encode time.

Read at scrape time from the live engine and feed follower (`app.state.follower`), so they cost
nothing between scrapes.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def encoding_observer(registry: CollectorRegistry) -> Callable[[int, float], None]:
    """A hook for `Encoder.observer`: times every encode call (bulk passages and queries)."""
    seconds = Histogram(
        "crosslink_matcher_encode_seconds",
        "Time to embed one batch of texts",
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        registry=registry,
    )
    texts = Counter("crosslink_matcher_encoded_texts", "Texts embedded", registry=registry)

    def observe(count: int, elapsed: float) -> None:
        seconds.observe(elapsed)
        texts.inc(count)

    return observe


def register_matcher_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    def follower():  # type: ignore[no-untyped-def]
        return getattr(app.state, "follower", None)

    def profiles() -> float:
        f = follower()
        return float(f.engine.count()) if f else 0.0

    def passages() -> float:
        f = follower()
        return float(f.engine.index.count()) if f else 0.0

    def applied_seq() -> float:
        f = follower()
        return float(f.engine.seq) if f else 0.0

    def feed_lag() -> float:
        f = follower()
        return float(f.lag) if f else 0.0

    def passage_cache_hits() -> float:
        f = follower()
        return float(f.engine.encoder.cache_hits) if f else 0.0

    for name, doc, read in (
        ("crosslink_matcher_profiles", "Profiles in the index", profiles),
        ("crosslink_matcher_passages", "Passage vectors in the index", passages),
        ("crosslink_matcher_applied_seq", "Last change-feed seq applied", applied_seq),
        ("crosslink_matcher_feed_lag", "Changes in the feed not yet applied", feed_lag),
        (
            "crosslink_matcher_passage_cache_hits",
            "Passages taken from the passage cache instead of being embedded",
            passage_cache_hits,
        ),
    ):
        Gauge(name, doc, registry=registry).set_function(read)
