"""Evidence, not claims; fair to newcomers; honest explanations (issue 16, items 3-5), through
the engine's public methods with the real encoder and FAISS."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.matching import MatchRequest, MatchResult
from models.profiles import ProfilePublic
from services.matcher.embedding import Encoder
from services.matcher.index import ProfileIndex
from services.matcher.ranking import MatchEngine, RankingWeights

DEMO = Path(__file__).parents[2] / "services" / "profiles" / "demo"
QUERY = "laser welding and process monitoring of aluminium parts"
WELDING = "Laser welding of aluminium car body parts with in-process monitoring."


def _profile(profile_id: int, **fields: Any) -> ProfilePublic:
    now = datetime.now(UTC)
    base = {
        "id": profile_id,
        "external_id": f"org-{profile_id}",
        "name": f"Org {profile_id}",
        "kind": "research",
        "country": "DE",
        "description": "Research institute.",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    return ProfilePublic.model_validate({**base, **fields})


def _base() -> list[ProfilePublic]:
    """Six organisations around the topic, linked both ways among themselves."""
    texts = [
        "Laser welding research for lightweight aluminium structures.",
        "Process monitoring sensors for welding lines in automotive plants.",
        "Aluminium die casting and machining of car parts.",
        "Robotic joining cells, welding and riveting of metal parts.",
        "Metallurgy lab analysing weld seams and joints.",
        "Bakery making sourdough bread and pastries.",
    ]
    ring = {1: [2, 3], 2: [1, 3], 3: [1, 2, 4], 4: [3, 5], 5: [4], 6: []}
    return [
        _profile(i, description=text, partners=[f"org-{j}" for j in ring[i]])
        for i, text in enumerate(texts, start=1)
    ]


def _scores(engine: MatchEngine, text: str = QUERY) -> dict[int, MatchResult]:
    return {r.profile.id: r for r in engine.match(MatchRequest(text=text, limit=100)).data}


def _engine(encoder: Encoder, profiles: list[ProfilePublic]) -> MatchEngine:
    engine = MatchEngine(encoder)
    engine.upsert(profiles)
    return engine


def test_made_up_partners_count_for_nothing(encoder: Encoder) -> None:
    """3,000 invented partner ids: the profile ranks no higher than its twin without partners,
    and it changes no other profile's score (its twin in the same place changes none either)."""
    invented = [f"made-up-{i}" for i in range(3000)]
    twin = _profile(20, description=WELDING, partners=[])
    claimer = _profile(21, description=WELDING, partners=invented)
    both = _scores(_engine(encoder, [*_base(), twin, claimer]))
    ranked = list(both)
    assert both[21].score <= both[20].score
    assert ranked.index(21) > ranked.index(20)  # equal scores: ties go to the lower id
    assert both[21].explanation.components["activity"] == 0
    assert both[21].explanation.partnerships == 0
    assert not any("partnership" in r for r in both[21].explanation.reasons)

    with_claims = _scores(_engine(encoder, [*_base(), claimer]))
    without = _scores(_engine(encoder, [*_base(), claimer.model_copy(update={"partners": []})]))
    others = set(without) - {21}
    assert others and {i: with_claims[i].score for i in others} == {
        i: without[i].score for i in others
    }
    # The corroborated ring is counted: the profile with three links has activity.
    assert with_claims[3].explanation.partnerships == 3
    assert with_claims[3].explanation.components["activity"] > 0


def test_one_sided_links_from_a_hub_count_only_once_reciprocated(encoder: Encoder) -> None:
    """A hub's profile naming real organisations gains nothing until one of them names it
    back; the operator's imports (no owner) and trusted hubs are taken at their word."""
    named = [f"org-{i}" for i in range(1, 6)]
    claimer = _profile(30, description=WELDING, partners=named, owner="some-hub")
    engine = _engine(encoder, [*_base(), claimer])
    before = _scores(engine)[30].explanation
    assert before.partnerships == 0 and before.components["activity"] == 0
    # Org 2 names it back: that one link is corroborated by both organisations.
    first = _base()[1]
    engine.upsert([first.model_copy(update={"partners": [*first.partners, "org-30"]})])
    after = _scores(engine)[30].explanation
    assert after.partnerships == 1 and after.components["activity"] > 0
    assert "It has 1 corroborated partnership." in after.reasons

    trusted = MatchEngine(encoder, profiles=ProfileIndex(encoder, trusted_hubs=["some-hub"]))
    trusted.upsert([*_base(), claimer])
    assert _scores(trusted)[30].explanation.partnerships == 5


def _demo_subset(size: int) -> list[dict[str, Any]]:
    """Demo CORDIS profiles: those on aluminium casting, then the most active, `size` in all."""
    with gzip.open(DEMO / "cordis_demo.jsonl.gz", "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    topical = re.compile(r"alumin|die.cast|foundr|casting", re.I)
    on_topic = [r for r in records if topical.search(r["description"] + " ".join(r["offers"]))]
    rest = sorted(
        (r for r in records if r not in on_topic), key=lambda r: -len(r.get("partners", []))
    )
    return (on_topic + rest)[:size]


@pytest.fixture(scope="module")
def demo(encoder: Encoder) -> tuple[MatchEngine, ProfilePublic]:
    """150 demo CORDIS organisations (operator imports, partners among them) and a hub's new
    member with no partners."""
    records = _demo_subset(150)
    for record in records:  # shorter texts: the same organisations, indexed in a test's time
        record["description"] = record["description"][:600]
        record["offers"] = record["offers"][:3]
    profiles = [_profile(i, **r) for i, r in enumerate(records, start=1)]
    with open(DEMO / "examples.jsonl", encoding="utf-8") as lines:
        example = next(json.loads(x) for x in lines if "styria-alu" in x)
    newcomer = _profile(1000, **example, owner="styria-hub")
    engine = _engine(encoder, [*profiles, newcomer])
    return engine, newcomer


def test_a_newcomer_that_fits_is_on_the_first_page(demo) -> None:
    engine, newcomer = demo
    assert not newcomer.partners
    need = "a supplier of die-cast aluminium housings for vehicles"
    data = engine.match(MatchRequest(text=need, limit=10)).data
    assert newcomer.id in [r.profile.id for r in data]
    # The established organisations around it do have a track record the ranking sees.
    assert max(r.explanation.partnerships for r in data) > 10


def test_a_result_ranked_by_its_track_record_says_so(demo) -> None:
    engine, _ = demo
    # A need nothing in the set is about: what ranks is mostly the priors, and the largest of
    # them is named (here the partners of the profiles closest to the need, or the record).
    need = MatchRequest(text="sourdough bread bakery", limit=10)
    data = engine.match(need).data
    said = [r.explanation for r in data if "Ranked up mainly" in r.explanation.reasons[0]]
    assert said
    peers = "Ranked up mainly because it worked with organisations close to your need."
    for e in said:
        assert e.partnerships > 0 and e.components["semantic"] < 0.35
        assert e.reasons[0] in (peers, _track_record(e.partnerships))
    # The same profiles ranked without the peers: the track record is what is named.
    no_peers = MatchEngine(
        engine.encoder, profiles=engine.profiles, weights=RankingWeights(peers=0)
    )
    data = no_peers.match(need).data
    said = [r.explanation for r in data if "Ranked up mainly by its" in r.explanation.reasons[0]]
    assert said
    for e in said:
        assert e.reasons[0] == _track_record(e.partnerships)
        assert e.partnerships > 0 and e.components["semantic"] < 0.35
    # A good fit is not said to be ranked by its record.
    fits = engine.match(MatchRequest(text=_demo_subset(1)[0]["description"], limit=1)).data
    assert not any("Ranked up mainly" in x for x in fits[0].explanation.reasons)


def _track_record(partnerships: int) -> str:
    return f"Ranked up mainly by its track record of {partnerships} corroborated partnerships."


def test_a_result_ranked_by_the_seekers_partners_says_so(encoder: Encoder) -> None:
    """A candidate that fits the need poorly but has worked with the seeker's partners."""
    seeker = _profile(40, description="Welding research.", partners=["org-41", "org-42"])
    friends = [
        _profile(41, description="Laser welding lab.", partners=["org-40", "org-43"]),
        _profile(42, description="Weld monitoring.", partners=["org-40", "org-43"]),
    ]
    unrelated = _profile(
        43, country="FR", description="Tax advisory firm.", partners=["org-41", "org-42"]
    )
    engine = _engine(encoder, [seeker, *friends, unrelated])
    request = MatchRequest(text="tax advice", seeker_id=40, limit=10, include_own_region=True)
    found = {r.profile.id: r.explanation for r in engine.match(request).data}
    assert found[43].components["trust"] > 0
    # It fits "tax advice" well: its score is not mostly the graph, and it does not say so.
    assert not any("Ranked up mainly" in x for x in found[43].reasons)
    weak = MatchRequest(text="seaweed farming", seeker_id=40, limit=10, include_own_region=True)
    explanation = next(r.explanation for r in engine.match(weak).data if r.profile.id == 43)
    assert "Ranked up mainly because it worked with your partners." in explanation.reasons


def test_the_passage_shown_is_the_one_the_semantic_score_comes_from(encoder: Encoder) -> None:
    """Recompute every passage's cosine with the encoder: the explanation shows the passage
    whose (field-weighted) cosine is the `semantic` component."""
    profile = _profile(
        50,
        description="We run a bakery. We also build lasers.",
        offers=["sourdough bread", "laser welding of aluminium parts", "pastry courses"],
        needs=["laser welding process monitoring"],
        keywords=["bread"],
    )
    engine = _engine(encoder, [profile, *_base()])
    result = _scores(engine)[50]
    query = encoder.encode_queries(encoder.split(QUERY))
    passages = encoder.passages(profile)
    vectors = encoder.encode_passages([p.text for p in passages])
    boost = {"offer": engine.weights.offer_boost, "need": engine.weights.need_damping}
    weighted = (vectors @ query.T).max(axis=1) * np.array(
        [boost.get(p.field, 1.0) for p in passages]
    )
    best = passages[int(np.argmax(weighted))]
    shown = result.explanation.passage
    assert (shown.field, shown.text) == (best.field, best.text)
    assert shown.text == "laser welding of aluminium parts"
    assert result.explanation.components["semantic"] == pytest.approx(weighted.max(), abs=1e-4)


def test_the_most_active_profiles_join_the_candidates(encoder: Encoder) -> None:
    """`active_candidates`: the profiles with the most corroborated partnerships are ranked even
    when their text is not among the need's nearest passages or BM25 hits; a profile's claimed
    but uncorroborated partners do not make it one of them."""
    claimer = _profile(
        21, description="Tax advisory firm.", partners=[f"made-up-{i}" for i in range(500)]
    )
    profiles = [*_base(), claimer]
    few = {"candidates": 1, "peer_count": 0}

    def ranked(**weights: Any) -> list[int]:
        """The candidates the engine ranks for a one-result page."""
        engine = MatchEngine(encoder, weights=RankingWeights(**few, **weights))
        engine.upsert(profiles)
        ids, _, _ = engine.candidate_features(MatchRequest(text=QUERY, limit=1))
        return ids.tolist()

    without = ranked(active_candidates=0)
    assert 3 not in without and 21 not in without  # 3: the most links in the ring (three)
    with_active = ranked(active_candidates=1)
    assert 3 in with_active and set(without) < set(with_active)
    assert 21 not in ranked(active_candidates=len(profiles))
