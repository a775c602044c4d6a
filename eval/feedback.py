"""`python -m eval.feedback`: does feedback on suggestions help, and can one caller game it?

The simulation (issue 20) on one time split of the evaluation:

1. Training side (`eval.training.training_split`: profiles before the training cutoff, queries
   signed between it and the test cutoff). Each training query's seeker asks crosslink's engine
   (`engine.match`, setting `new`) and marks the real later partners in its top 10 `contacted`
   or `relevant` (a share `miss` of them left unmarked) and marks a share `false` of the
   non-partners there `relevant` too (seeded). Each seeker is its own caller (voter).
2. The marks go through the profiles service's own code (`services.profiles.feedback`
   `add_feedback` with its per-caller daily cap, then `count_endorsements`: distinct callers per
   candidate) into a real SQLite database, and the counts into the matcher's `FeedbackBoard`
   (its weight, saturation and quorum: the aggregate counts only from `quorum` distinct callers
   on), exactly as `services.matcher.feedback` syncs them.
3. Test side (`eval.dataset.build_split` at the test cutoff): every test query is ranked by
   `engine.match` with an empty board and with each noise setting's board; nDCG@10 and R@10 by
   `eval.runner.evaluate`. Nothing is fitted on the test queries.
4. Attack: for test queries (setting `new`), the candidate at a given rank (just outside the
   top 10, and lower) gets a burst of N fake `relevant` marks from one caller (each a distinct
   mark: another need text), on top of the honest feedback; the rank it reaches is reported.
   The same with `quorum` colluding callers, each bursting N marks (fewer N: one caller's
   repeated marks count once anyway).

Both splits are built over one seeded sample of the organisations (`CROSSLINK_EVAL_POOL`;
0 = all), so an organisation keeps its identity from the training side to the test side.
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from eval.config import ROOT, EvalSettings
from eval.dataset import Query, Split, build_split
from eval.engine import CachingEncoder, MatchEngine, build_engine, request
from eval.runner import SETTINGS, TITLES, Ranker, evaluate, excluded
from eval.training import training_split
from models.feedback import FeedbackCounts, FeedbackRecord, Signal
from services.matcher.config import MatcherSettings
from services.matcher.ranking.feedback import FeedbackBoard
from services.profiles.config import ProfilesSettings
from services.profiles.cordis import CordisData, load_cordis
from services.profiles.db import create_tables, make_engine
from services.profiles.feedback import add_feedback, count_endorsements
from services.profiles.tables import Profile

__all__ = [
    "NOISE",
    "Noise",
    "Simulation",
    "attack_plans",
    "lift_bound",
    "main",
    "restrict",
    "simulate",
]

log = logging.getLogger("eval.feedback")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
BURSTS = (1, 10, 100, 1000)
COLLUDING_BURSTS = (1, 100)  # per colluding caller, for `quorum` callers
START_RANKS = (11, 20, 50)
DEPTH = 20  # results asked per test query (the measures need 10; the eval mask may drop some)
ATTACK_DEPTH = 100  # the most results a match returns
QUALITY = ROOT / "docs" / "QUALITY.md"
BEGIN, END = "<!-- FEEDBACK BEGIN -->", "<!-- FEEDBACK END -->"


@dataclass(frozen=True)
class Noise:
    name: str
    miss: float  # share of the true partners in the top 10 left unmarked
    false: float  # chance that a non-partner in the top 10 is marked `relevant`


NOISE = (
    Noise("exact", 0.0, 0.0),
    Noise("noisy", 0.3, 0.05),
    Noise("very noisy", 0.5, 0.2),
)


def restrict(data: CordisData, pool: int, seed: int, before: date) -> CordisData:
    """The CORDIS tables with only a seeded sample of `pool` organisations (of those in a
    project signed before `before`); 0 or a larger pool keeps every organisation."""
    active = sorted(
        {
            p.org_id
            for p in data.participations
            if (signed := data.projects[p.project_id].signed) is not None and signed < before
        }
    )
    if not pool or pool >= len(active):
        return data
    keep = set(random.Random(seed).sample(active, pool))
    return CordisData(
        projects=data.projects,
        participations=[p for p in data.participations if p.org_id in keep],
        organisations={k: v for k, v in data.organisations.items() if k in keep},
    )


class FeedbackStore:
    """The profiles service's feedback table in a real SQLite file, with a row per profile of
    the test split (marks refer to existing profiles; ids are the test split's)."""

    def __init__(self, path: Path, split: Split) -> None:
        self.engine: Engine = make_engine(f"sqlite:///{path}")
        create_tables(self.engine)
        self.cap = ProfilesSettings().feedback_daily_cap
        with Session(self.engine) as session:
            for pid, record in enumerate(split.profiles, start=1):
                session.add(_stub(pid, record))
            session.commit()

    def mark(self, voter: str, candidate: int, signal: Signal, **scope: object) -> None:
        record = FeedbackRecord(
            candidate_id=candidate, signal=signal, owner=voter, voter=voter, **scope
        )
        with Session(self.engine) as session:
            add_feedback(session=session, record=record, daily_cap=self.cap)

    def counts(self) -> FeedbackCounts:
        with Session(self.engine) as session:
            return count_endorsements(session=session)


def _stub(pid: int, record: dict[str, object]) -> Profile:
    empty: list[str] = []
    return Profile(
        id=pid,
        external_id=str(record["external_id"]),
        name=str(record["name"])[:300],
        kind=str(record["kind"]),
        country=str(record["country"]),
        description="",
        offers=empty,
        needs=empty,
        keywords=empty,
        sectors=empty,
        languages=empty,
        partners=empty,
        created_at=EPOCH,
        updated_at=EPOCH,
    )


def board(counts: FeedbackCounts) -> FeedbackBoard:
    """The matcher's board, configured as the matcher is, holding `counts`."""
    settings = MatcherSettings()
    result = FeedbackBoard(
        weight=settings.feedback_weight,
        saturation=settings.feedback_saturation,
        quorum=settings.feedback_quorum,
    )
    result.replace(counts.counts)
    return result


def scored(
    engine: MatchEngine, split: Split, query: Query, setting: str, depth: int = DEPTH
) -> list[tuple[int, float]]:
    """The product's ranking (`engine.match`, with the engine's current board) under the
    evaluation's exclusions: (profile id, score), best first."""
    asked = request(query, setting).model_copy(update={"limit": depth})
    mask = excluded(split, query, setting)
    return [(r.profile.id, r.score) for r in engine.match(asked).data if not mask[r.profile.id]]


def ranked(
    engine: MatchEngine, split: Split, query: Query, setting: str, depth: int = DEPTH
) -> list[int]:
    return [pid for pid, _ in scored(engine, split, query, setting, depth)]


@dataclass
class Marks:
    """One noise setting's marks on the training side, as (voter, candidate, signal, seeker)."""

    noise: Noise
    rows: list[tuple[str, int, Signal, int]] = field(default_factory=list)
    true: int = 0
    false: int = 0


def training_marks(
    train: Split, engine: MatchEngine, to_test: dict[int, int], noises: Iterable[Noise], seed: int
) -> list[Marks]:
    """Each training query's top 10 and the marks its seeker gives under each noise setting
    (ids mapped to the test split's)."""
    tops = [(q, ranked(engine, train, q, "new")[:10]) for q in train.queries]
    out = []
    for k, noise in enumerate(noises):
        rng = random.Random(seed * 1_000 + k)
        marks = Marks(noise)
        for query, top10 in tops:
            voter = f"seeker-{train.profiles[query.seeker - 1]['external_id']}"
            for pid in top10:
                if pid in query.relevant:
                    if rng.random() < noise.miss:
                        continue
                    signal = Signal.contacted if rng.random() < 0.5 else Signal.relevant
                    marks.true += 1
                elif rng.random() < noise.false:
                    signal = Signal.relevant
                    marks.false += 1
                else:
                    continue
                marks.rows.append((voter, to_test[pid], signal, to_test[query.seeker]))
        out.append(marks)
    return out


def store(path: Path, test: Split, marks: Marks | None) -> FeedbackStore:
    db = FeedbackStore(path, test)
    for voter, candidate, signal, seeker in marks.rows if marks else []:
        db.mark(voter, candidate, signal, seeker_id=seeker)
    return db


@dataclass
class Simulation:
    profiles: int
    train_queries: int
    test_queries: dict[str, int]
    marks: list[dict[str, Any]]  # per noise: true / false marks, candidates with a count
    quality: dict[str, dict[str, dict[str, float]]]  # method -> setting -> nDCG@10, R@10
    attack: list[dict[str, Any]]  # per (start rank, callers, burst): targets, best rank, ...
    quorum: int = 1  # distinct endorsers from which the matcher's aggregate counts
    bound: float = 0.0  # the most one caller adds to anybody else's score
    collusion_bound: float = 0.0  # the most `quorum` colluding callers add
    seconds: float = 0.0


def lift_bound(callers: int = 1) -> float:
    """The most `callers` more endorsers add to a candidate's score in anybody else's ranking,
    over every count it may already have (the matcher's board: 0 below the quorum, log above)."""
    chosen = board(FeedbackCounts(counts={}))
    have = np.arange(chosen.saturation + 1, dtype=np.float64)
    steps = chosen.aggregate(have + callers) - chosen.aggregate(have)
    return float(chosen.weight * 0.5 * steps.max())


def attack(
    engine: MatchEngine,
    test: Split,
    tmp: Path,
    honest: Marks,
    victims: list[Query],
    plans: Iterable[tuple[int, int]],
    starts: Iterable[int],
) -> list[dict[str, Any]]:
    """For each plan (C callers, N marks), C callers per target each burst N fake `relevant`
    marks (distinct need texts) for the candidate at rank `start` of a victim query, on top of
    the honest feedback: the rank the target reaches, its score lift, its score gap to rank 10
    before the burst, and how many targets were lifted although the honest endorsers plus the
    C callers stay below the quorum (0 unless the quorum leaks)."""
    honest_counts = store(tmp / "honest.db", test, honest).counts().counts
    engine.feedback = board(FeedbackCounts(counts=honest_counts))
    quorum = engine.feedback.quorum
    targets: list[tuple[int, Query, int, float, float]] = []  # start, victim, id, score, gap
    for query in victims:
        before = scored(engine, test, query, "new", ATTACK_DEPTH)
        for s in starts:
            if len(before) >= s:
                pid, score = before[s - 1]
                targets.append((s, query, pid, score, before[9][1] - score))
    rows = []
    for c, n in plans:
        db = store(tmp / f"burst-{c}-{n}.db", test, honest)
        for s, query, target, _, _ in targets:
            for j in range(c):
                voter = f"attacker-{s}-{query.project_id}-{j}"
                for k in range(n):
                    db.mark(voter, target, Signal.relevant, need_text=f"burst {k}")
        engine.feedback = board(db.counts())
        for s in starts:
            reached, lifts, gaps, leaks = [], [], [], 0
            for start, query, target, score, gap in targets:
                if start != s:
                    continue
                after = dict(scored(engine, test, query, "new", ATTACK_DEPTH))
                order = list(after)
                rank = order.index(target) + 1 if target in after else ATTACK_DEPTH + 1
                reached.append(rank)
                lifts.append(after.get(target, score) - score)
                if rank <= 10:
                    gaps.append(gap)
                if honest_counts.get(target, 0) + c < quorum and lifts[-1] > 1e-9:
                    leaks += 1
            if reached:
                rows.append(
                    {
                        "start": s,
                        "callers": c,
                        "burst": n,
                        "targets": len(reached),
                        "best": min(reached),
                        "median": float(np.median(reached)),
                        "in_top10": sum(r <= 10 for r in reached),
                        "lifted": sum(lift > 1e-9 for lift in lifts),
                        "lifted_below_quorum": leaks,
                        "max_lift": max(lifts),
                        "max_gap_entered": max(gaps, default=0.0),
                        "min_gap": min(g for st, *_, g in targets if st == s),
                    }
                )
    return rows


def attack_plans(
    bursts: Iterable[int], colluding_bursts: Iterable[int], quorum: int
) -> list[tuple[int, int]]:
    """(callers, marks each): one caller with every burst, then `quorum` colluding callers."""
    plans = [(1, n) for n in bursts]
    if quorum > 1:
        plans += [(quorum, n) for n in colluding_bursts]
    return plans


def simulate(
    data: CordisData,
    settings: EvalSettings,
    encoder: CachingEncoder,
    *,
    noises: Iterable[Noise] = NOISE,
    bursts: Iterable[int] = BURSTS,
    colluding_bursts: Iterable[int] = COLLUDING_BURSTS,
    starts: Iterable[int] = START_RANKS,
    victims: int = 30,
) -> Simulation:
    started = time.monotonic()
    cutoff = settings.eval_cutoff
    world = restrict(data, settings.eval_pool, settings.eval_seed, cutoff)
    flat = settings.model_copy(update={"eval_pool": 0})
    train, test = training_split(world, flat, cutoff), build_split(world, flat, cutoff=cutoff)
    test_id = {r["external_id"]: i for i, r in enumerate(test.profiles, start=1)}
    to_test = {i: test_id[r["external_id"]] for i, r in enumerate(train.profiles, start=1)}
    log.info("training: %d profiles, %d queries", len(train.profiles), len(train.queries))
    engine = build_engine(train, encoder)
    noises = list(noises)
    marks = training_marks(train, engine, to_test, noises, settings.eval_seed)
    del engine
    encoder.save()
    log.info("test: %d profiles, %d queries", len(test.profiles), len(test.queries))
    engine = build_engine(test, encoder)
    encoder.save()
    boards = {"no feedback": FeedbackBoard()}
    summary = []
    with tempfile.TemporaryDirectory(prefix="crosslink-feedback-") as tmpdir:
        tmp = Path(tmpdir)
        for m in marks:
            counts = store(tmp / f"{m.noise.name}.db", test, m).counts()
            boards[f"feedback ({m.noise.name})"] = board(counts)
            summary.append(
                {
                    "noise": m.noise.name,
                    "miss": m.noise.miss,
                    "false": m.noise.false,
                    "true_marks": m.true,
                    "false_marks": m.false,
                    "candidates": len(counts.counts),
                    "max_endorsers": max(counts.counts.values(), default=0),
                }
            )

        def ranker(chosen: FeedbackBoard) -> Ranker:
            def rank(query: Query, setting: str) -> list[int]:
                engine.feedback = chosen
                return ranked(engine, test, query, setting)

            return rank

        results = evaluate(test, {name: ranker(b) for name, b in boards.items()})
        quality = {
            name: {
                s: {k: results[(name, s, "all")][k] for k in ("nDCG@10", "R@10", "queries")}
                for s in SETTINGS
                if (name, s, "all") in results
            }
            for name in boards
        }
        pick = random.Random(settings.eval_seed).sample
        pool = [q for q in test.queries if q.relevant_new]
        chosen = pick(pool, min(victims, len(pool)))
        honest = marks[min(1, len(marks) - 1)]  # the attack lands on top of noisy feedback
        quorum = MatcherSettings().feedback_quorum
        plans = attack_plans(bursts, colluding_bursts, quorum)
        rows = attack(engine, test, tmp, honest, chosen, plans, starts)
    return Simulation(
        profiles=len(test.profiles),
        train_queries=len(train.queries),
        test_queries={s: int(quality["no feedback"][s]["queries"]) for s in quality["no feedback"]},
        marks=summary,
        quality=quality,
        attack=rows,
        quorum=quorum,
        bound=lift_bound(),
        collusion_bound=lift_bound(quorum),
        seconds=time.monotonic() - started,
    )


def render(sim: Simulation, command: str, machine: str) -> str:
    """The QUALITY.md section."""
    lines = [
        f"`{command}` on {machine}; {sim.seconds / 60:.0f} min. One split: "
        f"{sim.profiles:,} organisations (a seeded sample, the same on both sides), "
        f"{sim.train_queries} training queries giving feedback, test queries per setting: "
        + ", ".join(f"{TITLES[s]} {n}" for s, n in sim.test_queries.items())
        + ".",
        "",
        "Training side: each training query's seeker (one caller each) marks the real later "
        "partners in crosslink's top 10 `contacted`/`relevant`, missing a share of them, and "
        "marks non-partners there `relevant` by mistake. The marks go through the profiles "
        "service's `add_feedback` (per-caller daily cap) and `count_endorsements` (distinct "
        "callers per candidate) into the matcher's `FeedbackBoard`, which counts a candidate's "
        f"endorsers only from a quorum of {sim.quorum} distinct callers on; the test queries "
        "are ranked by `MatchEngine.match` with that board and without it.",
        "",
        "| noise | partners missed | false-mark chance | true marks | false marks "
        "| candidates with endorsers | most endorsers |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for m in sim.marks:
        lines.append(
            f"| {m['noise']} | {m['miss']:.0%} | {m['false']:.0%} | {m['true_marks']} "
            f"| {m['false_marks']} | {m['candidates']} | {m['max_endorsers']} |"
        )
    settings = list(sim.test_queries)
    head = " | ".join(f"{TITLES[s]} nDCG@10 | R@10" for s in settings)
    lines += ["", f"| ranking | {head} |", "|---|" + "---:|---:|" * len(settings)]
    for name, per in sim.quality.items():
        cells = " | ".join(f"{per[s]['nDCG@10']:.4f} | {per[s]['R@10']:.4f}" for s in settings)
        lines.append(f"| {name} | {cells} |")
    lines += [
        "",
        "Attack: C callers (one, or a quorum colluding) each burst N fake `relevant` marks "
        "(each a distinct mark) for the candidate at a given rank of a test query (new "
        "partners), on top of the noisy feedback; the rank it reaches for that query (N = 1 is "
        "a single mark), how many targets were lifted at all, the largest score lift, and the "
        "score gap to rank 10 before the burst (smallest over the targets; largest among those "
        "that reached the top 10). "
        f"The most one caller can add to anybody else's score is {sim.bound:.4f} "
        f"(the quorum-th endorser on the matcher's board, when {sim.quorum - 1} others "
        "already endorse the candidate; nothing below that), "
        f"the most {sim.quorum} colluding callers can add {sim.collusion_bound:.4f}.",
        "",
        "| start rank | callers | N marks each | targets | best rank reached | median rank "
        "| in the top 10 | lifted | largest lift | smallest gap | largest gap that entered |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sim.attack:
        lines.append(
            f"| {row['start']} | {row['callers']} | {row['burst']} | {row['targets']} "
            f"| {row['best']} | {row['median']:.0f} | {row['in_top10']} | {row['lifted']} "
            f"| {row['max_lift']:.4f} | {row['min_gap']:.4f} | {row['max_gap_entered']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def write(section: str, path: Path = QUALITY) -> None:
    """Put `section` between the FEEDBACK markers of `path`; the first time, a "Feedback
    simulation" heading with the markers goes right after the RESULTS block."""
    text = path.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + BEGIN + "\n" + section + rest[rest.index(END) :]
    else:
        results_end = "<!-- RESULTS END -->\n"
        at = text.index(results_end) + len(results_end)
        block = f"\n## Feedback simulation\n\n{BEGIN}\n{section}{END}\n"
        text = text[:at] + block + text[at:]
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.feedback", description=__doc__)
    parser.add_argument("--victims", type=int, default=30, help="Test queries attacked")
    parser.add_argument("--machine", default="", help="Said in the report (e.g. '2 cores')")
    parser.add_argument("--no-write", action="store_true", help="Print only; leave QUALITY.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = EvalSettings()
    from eval.__main__ import default_model

    encoder = CachingEncoder.configured(settings, settings.model or default_model())
    sim = simulate(load_cordis(settings.cordis_dir), settings, encoder, victims=args.victims)
    command = (
        f"CROSSLINK_EVAL_POOL={settings.eval_pool} "
        f"CROSSLINK_EVAL_QUERIES={settings.eval_queries} "
        f"CROSSLINK_EVAL_TRAIN_QUERIES={settings.eval_train_queries} "
        f"CROSSLINK_FEEDBACK_QUORUM={sim.quorum} "
        f"python -m eval.feedback --victims {args.victims}"  # = make eval-feedback
    )
    section = render(sim, command, args.machine or "this machine")
    print(section)
    if not args.no_write:
        write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
