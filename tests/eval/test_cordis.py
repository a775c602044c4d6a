"""services/profiles/cordis.py: profiles from the CORDIS tables and `crosslink import-cordis`."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import date
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from crosslink.cli import app
from models.profiles import ProfileCreate
from services.profiles.cordis import build_profiles, kind_of


def _by_id(records: list[dict]) -> dict[str, dict]:
    return {r["external_id"]: r for r in records}


def test_profiles_validate_and_map_kinds(cordis_dir: Path) -> None:
    records = _by_id(list(build_profiles(cordis_dir)))
    assert set(records) == {
        f"cordis:{pic}" for pic in ("100", "200", "300", "400", "500", "600", "700")
    }
    for record in records.values():
        ProfileCreate.model_validate(record)
    kinds = {
        pic: records[f"cordis:{pic}"]["kind"]
        for pic in ("100", "200", "300", "400", "500", "600", "700")
    }
    assert kinds == {
        "100": "research",
        "200": "sme",
        "300": "company",
        "400": "cluster",
        "500": "public",
        "600": "research",
        "700": "other",
    }


def test_invalid_region_is_dropped_not_the_organisation(cordis_dir: Path) -> None:
    records = _by_id(list(build_profiles(cordis_dir)))
    assert "region" not in records["cordis:500"]
    assert records["cordis:500"]["country"] == "ES"
    assert records["cordis:100"]["region"] == "DE212"
    assert records["cordis:100"]["website"] == "http://www.laser.example/"


def test_text_keywords_and_partners_come_from_projects(cordis_dir: Path) -> None:
    laser = _by_id(list(build_profiles(cordis_dir)))["cordis:100"]
    assert laser["description"].startswith("Laser welding process monitoring")
    assert "Green steel furnaces" in laser["offers"]
    assert "laser physics" in laser["keywords"]
    # Associated partners count as partners; the organisation itself never does.
    assert laser["partners"] == [
        "cordis:200",
        "cordis:300",
        "cordis:400",
        "cordis:500",
        "cordis:600",
    ]


def test_signed_before_restricts_everything(cordis_dir: Path) -> None:
    records = _by_id(list(build_profiles(cordis_dir, signed_before=date(2024, 1, 1))))
    assert "cordis:700" not in records  # its only project is later
    laser = records["cordis:100"]
    assert "Weld inspection" not in laser["description"]
    assert "cordis:600" not in laser["partners"]
    assert len(list(build_profiles(cordis_dir, org_ids={"100", "200"}))) == 2


def test_import_cordis_cli_is_idempotent(cordis_dir: Path, database_url: str) -> None:
    runner = CliRunner()
    env = {"CROSSLINK_DATABASE_URL": database_url}
    args = ["import-cordis", str(cordis_dir), "--signed-before", "2024-01-01", "--limit", "4"]
    first = runner.invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "created 4, updated 0, unchanged 0, rejected 0" in first.output
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 0, again.output
    assert "created 0, updated 0, unchanged 4, rejected 0" in again.output


def test_import_cordis_cli_rejects_a_folder_without_tables(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import-cordis", str(tmp_path)])
    assert result.exit_code == 2
    assert "projects.csv.gz" in result.output


def test_universities_and_public_bodies_are_never_smes() -> None:
    # CORDIS flags some universities and public bodies as SMEs; their kind follows the activity.
    def org(activity: str, sme: str, name: str = "X") -> dict[str, str]:
        return {"activityType": activity, "SME": sme, "legalName": name}

    assert kind_of(org("HES", "true", "UNIVERSITE JEAN MONNET")) == "research"
    assert kind_of(org("PUB", "true")) == "public"
    assert kind_of(org("REC", "true")) == "sme"  # a private research firm can be an SME
    assert kind_of(org("PRC", "true")) == "sme"
    assert kind_of(org("OTH", "false", "Silicon Saxony Cluster e.V.")) == "cluster"


def _repeated_sentences(text: str) -> list[str]:
    """Sentences (of four words or more) said twice; a line's "Title: " is not one."""
    body = [line.split(": ", 1)[-1] for line in text.splitlines()]
    sentences = [
        " ".join(s.casefold().rstrip("…").split())
        for line in body
        for s in re.split(r"(?<=[.!?])\s+", line)
        if len(s.split()) >= 4
    ]
    return [s for s, n in Counter(sentences).items() if n > 1]


def test_descriptions_say_each_sentence_once(cordis_dir: Path) -> None:
    """A project without a teaser (or whose objective starts with its teaser) is not told twice."""
    profiles = list(build_profiles(cordis_dir))
    laser = _by_id(profiles)["cordis:100"]
    assert laser["description"].count("We monitor laser welding of aluminium parts") == 1
    assert all(not _repeated_sentences(p["description"]) for p in profiles)


def test_the_shipped_demo_says_each_sentence_once() -> None:
    data = resources.files("services.profiles").joinpath("demo", "cordis_demo.jsonl.gz")
    records = [json.loads(line) for line in gzip.decompress(data.read_bytes()).splitlines()]
    repeating = [r["external_id"] for r in records if _repeated_sentences(r["description"])]
    assert len(records) > 4000 and repeating == []
