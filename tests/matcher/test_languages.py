"""Matching across languages (issue 15, items 3 and 4): the need's and each profile's language
are detected, BM25 counts only where languages meet (across them the lexical component stands
in from the semantic one: ranking/signals.py), `language_match` is real and the explanation
says when a result matched across languages; the languages survive a restart.
Through the matcher's HTTP app (real model, real FAISS) and the engine's public methods."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from models.matching import MatchRequest
from models.profiles import ProfilePublic
from services.matcher.config import MatcherSettings
from services.matcher.embedding import Encoder
from services.matcher.ranking import MatchEngine
from services.matcher.ranking.features import FEATURE_NAMES
from tests.factories import profile_payload
from tests.matcher.conftest import FakeFeed, wait_for, wait_ready

GERMAN_NEED = (
    "Wir suchen ein Labor, das PFAS im Grundwasser misst und die Ergebnisse für die Sanierung "
    "unserer Standorte bewertet."
)
ENGLISH_NEED = "We need a laboratory that measures PFAS in groundwater near our industrial sites."
PROFILES: dict[str, dict[str, Any]] = {
    "en-pfas": {
        "name": "Aqua Analytics (example)",
        "country": "NL",
        "description": "An accredited water laboratory measuring PFAS in groundwater and "
        "drinking water with LC-MS/MS, for utilities and industrial sites.",
        "offers": ["PFAS analysis of groundwater samples"],
    },
    "en-casting": {
        "name": "Foundry Works (example)",
        "country": "IE",
        "description": "An aluminium die casting foundry making housings for the automotive "
        "industry, with X-ray inspection of every casting.",
        "offers": ["High-pressure die casting of aluminium parts"],
    },
    "de-pfas": {
        "name": "Wasserlabor Süd (example)",
        "country": "AT",
        "description": "Ein akkreditiertes Wasserlabor: wir messen PFAS im Grundwasser und im "
        "Trinkwasser und beraten Versorger bei der Sanierung belasteter Standorte.",
        "offers": ["Analyse von Grundwasser auf PFAS"],
    },
    "de-bakery": {
        "name": "Bäckerei Korn (example)",
        "country": "AT",
        "description": "Eine Bäckerei, die Sauerteigbrot und Gebäck aus regionalem Getreide "
        "backt und an Hotels in der Umgebung liefert.",
        "offers": ["Brot und Gebäck für Hotels"],
    },
}


def _create(feed: FakeFeed) -> dict[str, int]:
    ids = {}
    for key, fields in PROFILES.items():
        payload = {**fields, "needs": [], "keywords": [], "region": None, "sectors": []}
        ids[key] = feed.create(external_id=key, **payload).id
    return ids


def _explained(client: TestClient, text: str) -> dict[int, dict[str, Any]]:
    response = client.post("/match", json={"text": text, "limit": 100})
    assert response.status_code == 200, response.text
    return {r["profile"]["id"]: r["explanation"] for r in response.json()["data"]}


def _started(client: TestClient, ids: dict[str, int]) -> dict[int, dict[str, Any]]:
    wait_ready(client)

    def all_found() -> dict[int, dict[str, Any]] | None:
        found = _explained(client, GERMAN_NEED)
        return found if found.keys() >= set(ids.values()) else None

    return wait_for(all_found)


def test_german_need_explains_english_results_across_languages_and_bm25_only_where_they_meet(
    feed: FakeFeed, start_matcher
) -> None:
    ids = _create(feed)
    with start_matcher(feed.transport) as client:
        found = _started(client, ids)
        english, casting = found[ids["en-pfas"]], found[ids["en-casting"]]
        german = found[ids["de-pfas"]]
        assert english["across_languages"] == {"need": "de", "candidate": "en"}
        assert "Matched across languages: de → en." in english["reasons"]
        # "pfas" occurs in both texts (a real shared term, shown), yet BM25 does not count across
        # languages: no lift from the one word they happen to share (BM25 gave it 0.106 of the
        # German provider's), and no penalty for the many they cannot share: the lexical
        # component stands in from its semantic, relative to the best candidate's
        best = max(e["components"]["semantic"] for e in found.values())
        assert "pfas" in english["shared_terms"]
        assert english["components"]["lexical"] == pytest.approx(
            english["components"]["semantic"] / best, abs=1e-5
        )
        # "die" (German's article) is in the English text too, as in "die casting": not a term
        assert casting["across_languages"] == {"need": "de", "candidate": "en"}
        assert "die" not in casting["shared_terms"]
        assert casting["components"]["lexical"] == pytest.approx(
            casting["components"]["semantic"] / best, abs=1e-5
        )
        assert casting["components"]["lexical"] < english["components"]["lexical"]
        # the German provider: same language, lexical evidence as always, nothing said of languages
        assert german["across_languages"] is None
        assert german["components"]["lexical"] == 1.0  # the best BM25 among the candidates
        assert {"pfas", "grundwasser"} <= set(german["shared_terms"])
        assert not any("across languages" in r for r in german["reasons"])
        # the other way: an English need finds the German provider across languages
        back = _explained(client, ENGLISH_NEED)
        assert back[ids["de-pfas"]]["across_languages"] == {"need": "en", "candidate": "de"}
        best = max(e["components"]["semantic"] for e in back.values())
        lexical, semantic = (back[ids["de-pfas"]]["components"][k] for k in ("lexical", "semantic"))
        assert lexical == pytest.approx(semantic / best, abs=1e-5)


def test_a_german_needs_stop_words_give_german_profiles_no_bm25(
    feed: FakeFeed, start_matcher
) -> None:
    """ "die", "und", "für" are German stop words: they are no BM25 evidence between a German
    need and a German profile (bm25s removes only English ones), so a German bakery that shares
    nothing else with a PFAS need gets no lexical score, and no shared terms."""
    ids = _create(feed)
    with start_matcher(feed.transport) as client:
        found = _started(client, ids)
        bakery, lab = found[ids["de-bakery"]], found[ids["de-pfas"]]
        assert bakery["across_languages"] is None and lab["across_languages"] is None
        # the need and the bakery share "die", "und", "in", "für" and nothing that means anything
        assert bakery["components"]["lexical"] == 0.0
        assert bakery["shared_terms"] == []
        assert lab["components"]["lexical"] == 1.0
        assert {"die", "und", "für"}.isdisjoint(lab["shared_terms"])


def test_same_language_explanations_are_as_before(feed: FakeFeed, start_matcher) -> None:
    ids = _create(feed)
    with start_matcher(feed.transport) as client:
        _started(client, ids)
        english = _explained(client, ENGLISH_NEED)[ids["en-pfas"]]
        assert english["across_languages"] is None
        assert not any("across languages" in r for r in english["reasons"])
        assert english["components"]["lexical"] == 1.0  # the best BM25 among the candidates
        assert {"pfas", "groundwater", "laboratory"} <= set(english["shared_terms"])
        # a need too short to tell its language meets every language: BM25 counts everywhere
        short = _explained(client, "PFAS Grundwasser")
        assert short[ids["en-pfas"]]["across_languages"] is None
        assert short[ids["en-pfas"]]["components"]["lexical"] > 0.0
        assert short[ids["de-pfas"]]["components"]["lexical"] > 0.0


def _saved_state(index_dir: Path) -> Path:
    manifest = json.loads((index_dir / "manifest.json").read_text())
    return index_dir / manifest["snapshot"] / "engine.npz"


def test_languages_are_kept_in_the_snapshot_and_detected_again_without_them(
    feed: FakeFeed, start_matcher, settings: MatcherSettings
) -> None:
    ids = _create(feed)
    with start_matcher(feed.transport) as client:
        before = _started(client, ids)
    state = _saved_state(settings.resolved_index_dir)
    with np.load(state) as data:
        arrays = {name: data[name] for name in data.files}
    assert sorted(arrays["languages"].tolist()) == ["de", "de", "en", "en"]
    feed.requests.clear()
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        assert feed.requests[0] == len(PROFILES)  # restored from the snapshot, not replayed
        after = _explained(client, GERMAN_NEED)
    assert {i: e["across_languages"] for i, e in after.items()} == {
        i: e["across_languages"] for i, e in before.items()
    }
    assert after[ids["en-pfas"]]["across_languages"] == {"need": "de", "candidate": "en"}
    # A snapshot from before languages were kept: they are detected on restore, and the next
    # snapshot keeps them.
    del arrays["languages"]
    with open(_saved_state(settings.resolved_index_dir), "wb") as fh:
        np.savez(fh, **arrays)
    with start_matcher(feed.transport) as client:
        wait_ready(client)
        older = _explained(client, GERMAN_NEED)
    assert older[ids["en-pfas"]]["across_languages"] == {"need": "de", "candidate": "en"}
    assert older[ids["en-pfas"]]["components"] == before[ids["en-pfas"]]["components"]
    with np.load(_saved_state(settings.resolved_index_dir)) as data:
        assert sorted(data["languages"].tolist()) == ["de", "de", "en", "en"]


def test_language_match_feature_and_bm25_feature_across_languages(encoder: Encoder) -> None:
    """What the learned ranker reads: language_match 0 and bm25 0 (BM25 does not count across
    languages) for the English candidates of a German need, 1 and BM25 for the German ones; the
    feature names stay as trained."""
    now = datetime.now(UTC)
    engine = MatchEngine(encoder)
    profiles = [
        ProfilePublic.model_validate(
            {
                **profile_payload(external_id=key, **fields, needs=[], keywords=[]),
                "region": None,
                "sectors": [],
                "id": i,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        for i, (key, fields) in enumerate(PROFILES.items(), start=1)
    ]
    engine.upsert(profiles)
    ids, features, names = engine.candidate_features(MatchRequest(text=GERMAN_NEED, limit=10))
    assert names == FEATURE_NAMES and names[-1] == "language_match"
    rows = {int(i): features[k] for k, i in enumerate(ids)}
    match, bm25 = names.index("language_match"), names.index("bm25")
    by_key = {key: rows[i] for i, key in enumerate(PROFILES, start=1)}
    assert by_key["en-pfas"][match] == 0.0 and by_key["en-casting"][match] == 0.0
    assert by_key["de-pfas"][match] == 1.0 and by_key["de-bakery"][match] == 1.0
    assert by_key["en-pfas"][bm25] == 0.0
    assert by_key["de-pfas"][bm25] > 0.0
    # an English need: every candidate of its language matches, the German ones do not
    ids, features, _ = engine.candidate_features(MatchRequest(text=ENGLISH_NEED, limit=10))
    english = {int(i): features[k][match] for k, i in enumerate(ids)}
    assert english[1] == 1.0 and english[3] == 0.0
