"""Bulk indexing, empty index to searchable, in process: the naive baseline (sentence-transformers
`encode` with its defaults, one vector per profile, FAISS `IndexFlatIP`) against crosslink's
`MatchEngine` (every passage of every profile, the configured encoder backend)."""

from __future__ import annotations

import argparse
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bench import data
from bench.report import fmt
from models.matching import MatchRequest
from models.profiles import ProfilePublic
from services.matcher import wiring
from services.matcher.config import MatcherSettings
from services.matcher.embedding import Encoder
from services.matcher.ranking import MatchEngine
from services.matcher.text import profile_text

log = logging.getLogger("bench")

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class IndexingRun:
    name: str
    profiles: int
    vectors: int
    tokens: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.profiles / self.seconds


def public(records: list[dict[str, Any]]) -> list[ProfilePublic]:
    return [
        ProfilePublic(**record, id=pid, created_at=EPOCH, updated_at=EPOCH, version=1)
        for pid, record in enumerate(records, start=1)
    ]


def naive(model: str, profiles: list[ProfilePublic], query: str) -> IndexingRun:
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(model, device="cpu", local_files_only=True)
    texts = [profile_text(p) for p in profiles]
    window = int(st.max_seq_length or 256)
    tokens = sum(min(len(t), window) for t in st.tokenizer(texts)["input_ids"])
    started = time.perf_counter()
    vectors = st.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    index.search(st.encode([query], normalize_embeddings=True, show_progress_bar=False), 10)
    return IndexingRun("naive", len(profiles), len(texts), tokens, time.perf_counter() - started)


def crosslink(
    encoder: Encoder, profiles: list[ProfilePublic], query: str
) -> tuple[IndexingRun, MatchEngine, dict[str, float]]:
    """The run, the engine it built, and where its time went (seconds)."""
    started = time.perf_counter()
    passages = [p.text for profile in profiles for p in encoder.passages(profile)]
    split = time.perf_counter() - started
    tokens = sum(len(t) for t in encoder._tokenizer(passages)["input_ids"])
    started = time.perf_counter()
    engine = wiring.build_engine(MatcherSettings(), encoder)
    engine.upsert(profiles)
    upserted = time.perf_counter()
    engine.match(MatchRequest(text=query))  # builds the BM25 corpus: now fully searchable
    seconds = time.perf_counter() - started
    run = IndexingRun(
        f"crosslink ({encoder.backend})", len(profiles), engine.index.count(), tokens, seconds
    )
    where = {
        "split": split,
        "encode": upserted - started - split,
        "corpus": started + seconds - upserted,
    }
    return run, engine, where


def match_profile_ms(engine: MatchEngine, needs: list[str]) -> dict[str, float]:
    """Where one free-text match spends its time in process (median ms)."""
    encode, rank, serialise = [], [], []
    for need in needs:
        started = time.perf_counter()
        engine.encoder.encode_queries(engine.encoder.split(need))
        encoded = time.perf_counter()
        result = engine.match(MatchRequest(text=need))  # the query vector now comes cached
        ranked = time.perf_counter()
        result.model_dump_json()
        done = time.perf_counter()
        encode.append(encoded - started)
        rank.append(ranked - encoded)
        serialise.append(done - ranked)
    return {
        "encode": float(np.median(encode) * 1000),
        "rank": float(np.median(rank) * 1000),
        "serialise": float(np.median(serialise) * 1000),
    }


def throughput(engine: MatchEngine, needs: list[str], threads: int, seconds: float) -> float:
    """Free-text matches per second in process (no HTTP) with `threads` callers, each taking
    needs from its own share of `needs` (distinct texts: no query-vector cache hits)."""
    share = max(1, len(needs) // threads)
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def caller(i: int) -> None:
        mine = needs[i * share : (i + 1) * share] or needs
        while time.perf_counter() < deadline:
            engine.match(MatchRequest(text=mine[done[i] % len(mine)]))
            done[i] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=caller, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - started)


def agreement(
    reference: Encoder, fast: Encoder, passages: list[str], queries: list[str]
) -> dict[str, float]:
    """How close the fast backend's vectors are to the unoptimised model's: cosine per passage
    and the overlap of the top-10 passages retrieved for each query."""
    ref, got = reference.encode(passages), fast.encode(passages)
    cosine = (ref * got).sum(axis=1)
    ref_q, got_q = reference.encode(queries), fast.encode(queries)
    k = min(10, len(passages))
    ref_top = np.argsort(-(ref_q @ ref.T), axis=1)[:, :k]
    got_top = np.argsort(-(got_q @ got.T), axis=1)[:, :k]
    overlap = [len(set(a) & set(b)) / k for a, b in zip(ref_top, got_top, strict=True)]
    return {
        "cosine_mean": float(cosine.mean()),
        "cosine_min": float(cosine.min()),
        "top10_overlap": float(np.mean(overlap)),
        "passages": float(len(passages)),
        "queries": float(len(queries)),
    }


def model_cache(bench_dir: Path) -> Path:
    return bench_dir / "models"


def section(args: argparse.Namespace, records: list, model: str, cache) -> tuple[list, float]:  # type: ignore[no-untyped-def]
    """The rows, and the naive build's profiles/s (the full-set row compares against it)."""
    sample = random.Random(3).sample(records, min(args.index_profiles, len(records)))
    profiles = public(sample)
    query = data.needs(records, 1)[0]
    base = naive(model, profiles, query)
    fast = Encoder(
        model,
        backend=args.backend,
        cache_dir=cache,
        passage_cache=MatcherSettings().passage_cache,  # as the matcher runs it
    )
    embedded: list[int] = []
    fast.observer = lambda count, _seconds: embedded.append(count)
    ours, engine, where = crosslink(fast, profiles, query)
    distinct = sum(embedded)
    steps = match_profile_ms(engine, data.needs(records, 30, seed=13))
    reference = Encoder(model)
    passages = [p.text for prof in profiles for p in fast.passages(prof)]
    passages = random.Random(4).sample(passages, min(args.agreement_passages, len(passages)))
    agree = agreement(reference, fast, passages, data.needs(records, 50, seed=9))
    log.info("indexing: %s / %s; agreement %s", base, ours, agree)
    per_token = (ours.tokens / ours.seconds) / (base.tokens / base.seconds)
    rows = [
        (
            f"bulk indexing, profiles/s ({len(profiles)} CORDIS profiles, empty to searchable)",
            fmt(base.per_second),
            fmt(ours.per_second),
            fmt(ours.per_second / base.per_second, 2) + "×",
            "≥ 4×",
        ),
        (
            "  vectors indexed (naive: 1 per profile, first 256 tokens; crosslink: every passage)",
            f"{base.vectors:,}",
            f"{ours.vectors:,}",
            fmt(ours.vectors / base.vectors, 1) + "×",
            "",
        ),
        (
            "  passages embedded (crosslink: each distinct text once, passage cache)",
            f"{base.vectors:,}",
            f"{distinct:,}",
            fmt(distinct / base.vectors, 1) + "×",
            "",
        ),
        (
            "  profile tokens covered / s (crosslink: every token of every passage)",
            fmt(base.tokens / base.seconds, 0),
            fmt(ours.tokens / ours.seconds, 0),
            fmt(per_token, 2) + "×",
            "",
        ),
        (
            f"  {args.backend} vs fp32 torch: cosine mean / min "
            f"({int(agree['passages'])} passages)",
            "1",
            f"{agree['cosine_mean']:.4f} / {agree['cosine_min']:.4f}",
            "",
            "",
        ),
        (
            "  where crosslink's indexing time goes, s: split into passages / model / BM25 corpus",
            "",
            f"{where['split']:.1f} / {where['encode']:.1f} / {where['corpus']:.1f}",
            "",
            "",
        ),
        (
            "where one match's time goes in process, ms: encode need / rank+explain / JSON",
            "",
            f"{steps['encode']:.1f} / {steps['rank']:.1f} / {steps['serialise']:.1f}",
            "",
            "",
        ),
        (
            f"  top-10 passage overlap with fp32 ({int(agree['queries'])} needs)",
            "1",
            f"{agree['top10_overlap']:.3f}",
            "",
            "",
        ),
    ]
    return rows, base.per_second
