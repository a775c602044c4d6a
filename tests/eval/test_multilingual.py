"""The cross-lingual measuring stick (eval/multilingual): its data is what it claims to be, and its
measures give the known answers on a toy ranker."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import py3langid
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crosslink.cli import app as cli
from eval.multilingual import (
    LANGUAGES,
    PERSONAS,
    ExampleProfile,
    Need,
    load_needs,
    load_profiles,
    measure,
    measure_agreement,
    measure_finding,
    overlap_at,
    rbo,
    render_markdown,
)
from eval.multilingual.measure import DATA
from models.profiles import ProfileCreate

COUNTRY = {"de": "DE", "fr": "FR", "it": "IT", "es": "ES", "pl": "PL", "nl": "NL", "pt": "PT"}
COUNTRY["el"] = "EL"
# (id or external_id, language, field) that py3langid may read as another language. None today:
# every text is detected as its own language among all 97 the model knows.
LANGID_EXCEPTIONS: frozenset[tuple[str, str, str]] = frozenset()

NEEDS = load_needs()
PROFILES = load_profiles()


def greek_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(unicodedata.name(c, "").startswith("GREEK") for c in letters) / len(letters)


def test_at_least_80_needs_from_all_personas_and_many_sectors() -> None:
    assert len(NEEDS) >= 80
    assert len({n.id for n in NEEDS}) == len(NEEDS)
    personas = Counter(n.persona for n in NEEDS)
    assert set(personas) == set(PERSONAS)
    assert min(personas.values()) >= 15, personas
    assert len({n.sector for n in NEEDS}) >= 20


def test_every_need_is_written_in_all_nine_languages_not_copied_from_english() -> None:
    for need in NEEDS:
        assert set(need.text) == set(LANGUAGES), need.id
        for lang, text in need.text.items():
            assert text.strip() == text and len(text) >= 40, (need.id, lang)
            assert lang == "en" or text != need.text["en"], (need.id, lang)
        assert 1 <= len(re.findall(r"[.?!](?:\s|$)", need.text["en"])) <= 4, need.id


def test_greek_is_in_greek_script_and_the_others_are_not() -> None:
    greek = [n.text["el"] for n in NEEDS] + [p.own_need for p in PROFILES if p.language == "el"]
    greek += [p.record["description"] for p in PROFILES if p.language == "el"]
    for text in greek:
        assert greek_share(text) >= 0.85, text  # Latin only for acronyms: CNC, PFAS, BIM, IoT
    for need in NEEDS:
        assert all(greek_share(need.text[lang]) == 0 for lang in LANGUAGES if lang != "el")


def test_each_text_is_detected_as_its_own_language() -> None:
    texts = [(n.id, lang, "need", t) for n in NEEDS for lang, t in n.text.items()]
    for p in PROFILES:
        texts += [
            (p.external_id, "en", "en_need", p.en_need),
            (p.external_id, p.language, "own_need", p.own_need),
            (p.external_id, p.language, "description", p.record["description"]),
        ]
    wrong = {
        (key, lang, field): py3langid.classify(text)[0]
        for key, lang, field, text in texts
        if py3langid.classify(text)[0] != lang
    }
    assert set(wrong) <= LANGID_EXCEPTIONS, wrong


def test_profiles_are_valid_demo_style_records_in_eight_languages() -> None:
    assert len(PROFILES) >= 36
    per_language = Counter(p.language for p in PROFILES)
    assert set(per_language) == set(LANGUAGES[1:])
    assert min(per_language.values()) >= 4, per_language
    for p in PROFILES:
        created = ProfileCreate.model_validate(p.record)
        assert created.external_id == p.external_id
        assert re.fullmatch(rf"mlx:{p.language}-\d\d", p.external_id), p.external_id
        assert created.name.endswith("(example)")
        assert created.country == COUNTRY[p.language]
        assert created.region is not None and created.region.startswith(created.country)
        assert p.language in created.languages
        assert created.offers and created.needs and created.keywords and created.sectors
        assert p.en_need and p.own_need and p.own_need != p.en_need


def test_profiles_file_imports_with_crosslink_import(
    database_url: str, profiles_client: TestClient
) -> None:
    env = {"CROSSLINK_DATABASE_URL": database_url}
    path = str(DATA / "profiles.jsonl")
    result = CliRunner().invoke(cli, ["import", path, "--no-progress"], env=env)
    assert result.exit_code == 0, result.output
    assert f"created {len(PROFILES)}, updated 0, unchanged 0, rejected 0" in result.output
    listed = profiles_client.get("/profiles", params={"limit": 100}).json()["data"]
    assert sorted(p["external_id"] for p in listed) == sorted(p.external_id for p in PROFILES)


# --- the measures, on a toy ranker whose answers are known -------------------------------------


def toy_ranker(rankings: dict[str, list[int]], calls: list[tuple[str, int]]):
    def rank(text: str, k: int) -> list[int]:
        calls.append((text, k))
        return rankings[text][:k]

    return rank


def test_overlap_and_rbo_known_values() -> None:
    assert overlap_at(list(range(10)), [0, 1, 2, 3, 4, 20, 21, 22, 23, 24]) == 0.5
    assert overlap_at([1, 2], [3, 4], k=10) == 0.0
    assert rbo(list(range(10)), list(range(10))) == pytest.approx(1.0, abs=1e-12)
    assert rbo([1, 2, 3], [4, 5, 6]) == 0.0
    assert rbo([1, 2], [2, 1], p=0.5) == 0.5
    assert rbo([1, 2, 3], [3, 2, 1], p=0.5) == 0.375
    assert rbo([1], [1, 2], p=0.5) == 1.0  # a prefix: the extrapolation assumes it goes on agreeing
    assert rbo([], []) == 1.0 and rbo([1], []) == 0.0


def test_agreement_per_language_on_a_toy_ranker() -> None:
    needs = [
        Need("t1", "voucher", "x", {"en": "E1", "de": "D1", "pl": "P1"}),
        Need("t2", "hub", "y", {"en": "E2", "de": "D2", "pl": "P2"}),
    ]
    rankings = {
        "E1": [1, 2], "D1": [2, 1], "P1": [1, 2],
        "E2": [1, 2], "D2": [3, 1], "P2": [7, 8],
    }  # fmt: skip
    calls: list[tuple[str, int]] = []
    result = measure_agreement(
        toy_ranker(rankings, calls), needs, k=2, p=0.5, languages=["de", "pl"]
    )
    de, pl = result
    assert (de.language, de.needs, de.overlap, de.rbo) == ("de", 2, 0.75, 0.375)
    assert de.per_need == {"t1": (1.0, 0.5), "t2": (0.5, 0.25)}
    assert (pl.overlap, pl.rbo) == (0.5, 0.5)
    assert all(k == 2 for _, k in calls) and len(calls) == 6  # English ranked once per need


def profile(n: int) -> ExampleProfile:
    return ExampleProfile(f"mlx:de-0{n}", "de", {}, f"EN{n}", f"DE{n}")


def test_finding_the_profiles_on_a_toy_ranker() -> None:
    ids = {"mlx:de-01": 101, "mlx:de-02": 102, "mlx:de-03": 103}
    rankings = {
        "EN1": [101, 5, 6], "EN2": [5, 102], "EN3": [5, 6, 7],
        "DE1": [5, 6, 7, 101], "DE2": [5, 6, 7, 102], "DE3": [103],
    }  # fmt: skip
    calls: list[tuple[str, int]] = []
    english, own = measure_finding(
        toy_ranker(rankings, calls), [profile(1), profile(2), profile(3)], ids, depth=50
    )
    assert english.direction == "en → de" and own.direction == "de → de"
    assert english.ranks == {"mlx:de-01": 1, "mlx:de-02": 2, "mlx:de-03": None}
    assert (english.profiles, english.median_rank, english.mrr) == (3, 2, 0.5)
    assert english.top10 == pytest.approx(2 / 3)
    assert (own.median_rank, own.top10, own.mrr) == (4, 1.0, 0.5)
    assert {k for _, k in calls} == {50}


def test_report_renders_both_tables() -> None:
    needs = [Need("t1", "voucher", "x", {lang: f"{lang}1" for lang in LANGUAGES})]
    rankings = {f"{lang}1": [1, 2, 3] for lang in LANGUAGES} | {"EN1": [9], "DE1": [9]}
    rankings["el1"] = [4, 5, 6]
    report = measure(
        toy_ranker(rankings, []), ids={"mlx:de-01": 1}, needs=needs, profiles=[profile(1)], k=3
    )
    table = render_markdown(report)
    assert "| de | 1 | 1.000 | 1.000 |" in table
    assert "| el | 1 | 0.000 | 0.000 |" in table
    assert "| **mean** | | 0.875 | 0.875 |" in table
    assert "| en → de | 1 | > 100 | 0.00 | 0.000 |" in table
    assert math.isinf(report.finding[0].median_rank)


def test_loaders_read_the_package_data_by_default(tmp_path: Path) -> None:
    assert [n.id for n in NEEDS][:2] == ["n01", "n02"]
    copy = tmp_path / "needs.jsonl"
    copy.write_text((DATA / "needs.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n")
    assert [n.id for n in load_needs(copy)] == ["n01"]


def test_the_command_measures_each_encoder_through_the_engine_and_writes_its_block(
    cordis_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m eval.multilingual` (run by `make eval`) over a CORDIS set plus the example
    profiles: both tables per encoder and the overview row, written between its markers."""
    import eval.multilingual.__main__ as command

    quality = tmp_path / "QUALITY.md"
    quality.write_text(f"# Quality\n{command.MARKERS[0]}\nold\n{command.MARKERS[1]}\nkept\n")
    monkeypatch.setattr(command, "QUALITY", quality)
    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(cordis_dir))
    monkeypatch.setenv("CROSSLINK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CROSSLINK_ENCODER_BACKEND", "torch")  # no ONNX export in a test
    assert command.main(["--models", "default", "--needs", "3", "--write-partial"]) == 0
    text = quality.read_text()
    assert "old" not in text and text.endswith(f"{command.MARKERS[1]}\nkept\n")
    assert f"{len(PROFILES)} example profiles in eight languages" in text
    overview = next(line for line in text.splitlines() if line.startswith("| default |"))
    assert "of 8 |" in overview
    for lang in LANGUAGES[1:]:
        assert re.search(rf"^\| {lang} \| 3 \| [01]\.\d{{3}} \|", text, re.M), lang
        assert f"| {lang} → {lang} | " in text and f"| en → {lang} | " in text
    # in its own language each example profile is found by the need written for it: the
    # example ids are mapped to the engine's ids (a wrong mapping finds none)
    own = re.findall(r"^\| (\w\w) → \1 \| \d \| [^|]+ \| ([01]\.\d\d) \|", text, re.M)
    assert len(own) == 8 and sum(float(share) for _, share in own) / 8 > 0.8, own


def test_the_command_refuses_without_the_cordis_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import eval.multilingual.__main__ as command

    monkeypatch.setenv("CROSSLINK_CORDIS_DIR", str(tmp_path))
    assert command.main(["--no-write"]) == 2
    assert "CORDIS tables not found" in capsys.readouterr().err
