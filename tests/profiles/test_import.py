"""`crosslink import FILE` and `POST /profiles/bulk`: line numbers, good lines kept, idempotence."""

from __future__ import annotations

import csv
import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crosslink.cli import app as cli
from models.profiles import ProfileCreate
from models.reference import nuts2_of
from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings
from tests.factories import profile_payload, profile_payloads

runner = CliRunner()


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def run_import(database_url: str, *args: str) -> Any:
    env = {"CROSSLINK_DATABASE_URL": database_url}
    return runner.invoke(cli, ["import", *args, "--no-progress"], env=env)


def test_bad_lines_are_reported_and_good_lines_land(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    good = profile_payloads(3)
    path = write_jsonl(
        tmp_path / "profiles.jsonl",
        [
            good[0],
            profile_payload(region="XX9"),
            "{not json",
            "",
            good[1],
            profile_payload(description=""),
            good[2],
        ],
    )
    result = run_import(database_url, str(path))
    assert result.exit_code == 1
    assert "line 2: rejected: region: region 'XX9' is not a NUTS code; expected e.g. 'DED2'" in (
        result.output
    )
    assert (
        "line 3: rejected: not valid JSON: Expecting property name enclosed in double quotes"
        in (result.output)
    )
    assert "line 6: rejected: description: String should have at least 1 character" in result.output
    assert "created 3, updated 0, unchanged 0, rejected 3" in result.output

    listed = profiles_client.get("/profiles").json()["data"]
    assert sorted(p["external_id"] for p in listed) == sorted(g["external_id"] for g in good)
    contact = profiles_client.get(f"/profiles/{listed[0]['id']}?include_contact=true").json()
    assert contact["contact"]["email"] == good[0]["contact"]["email"]


def test_reimport_changes_nothing(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    path = write_jsonl(tmp_path / "profiles.jsonl", profile_payloads(5))
    first = run_import(database_url, str(path))
    assert first.exit_code == 0, first.output
    assert "created 5, updated 0, unchanged 0, rejected 0" in first.output
    feed = profiles_client.get("/changes").json()
    versions = [p["version"] for p in profiles_client.get("/profiles").json()["data"]]

    second = run_import(database_url, str(path))
    assert second.exit_code == 0
    assert "created 0, updated 0, unchanged 5, rejected 0" in second.output
    assert profiles_client.get("/changes").json() == feed
    assert [p["version"] for p in profiles_client.get("/profiles").json()["data"]] == versions


def test_reimport_updates_changed_lines(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    records = profile_payloads(3)
    path = write_jsonl(tmp_path / "profiles.jsonl", records)
    assert run_import(database_url, str(path)).exit_code == 0
    records[1]["city"] = "Elsewhere"
    write_jsonl(path, records)
    result = run_import(database_url, str(path))
    assert "created 0, updated 1, unchanged 2, rejected 0" in result.output
    changes = profiles_client.get("/changes").json()["changes"]
    assert [c["op"] for c in changes] == ["create"] * 2 + ["update"]  # the latest per profile
    assert changes[-1]["profile"]["city"] == "Elsewhere"
    assert changes[-1]["profile"]["external_id"] == records[1]["external_id"]


def test_csv_with_pipes_json_arrays_and_contact_columns(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    path = tmp_path / "members.csv"
    columns = [
        "external_id",
        "name",
        "kind",
        "country",
        "region",
        "description",
        "offers",
        "keywords",
        "sectors",
        "partners",
        "contact_email",
        "contact_person",
    ]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        writer.writerow(
            [
                "m-1",
                "Alpha",
                "sme",
                "DE",
                "DED2",
                "Sensors for welding.",
                "sensors | calibration",
                "welding",
                '["C26", "25.11"]',
                "m-2",
                "a@example.eu",
                "Ann",
            ]
        )
        writer.writerow(
            ["m-2", "Beta", "startup", "DE", "DED2", "Bad kind.", "", "", "", "", "", ""]
        )
        writer.writerow(
            ["m-3", "Gamma", "research", "FR", "FR10", "Optics lab.", "", "", "", "", "", ""]
        )
    result = run_import(database_url, str(path), "--owner", "hub-x")
    assert result.exit_code == 1
    assert "line 3: rejected: kind: Input should be 'sme', 'research'" in result.output
    assert "created 2, updated 0, unchanged 0, rejected 1" in result.output

    alpha = profiles_client.get("/profiles", params={"external_id": "m-1"}).json()["data"][0]
    assert alpha["offers"] == ["sensors", "calibration"]
    assert alpha["sectors"] == ["C26", "C25.11"]
    assert alpha["partners"] == ["m-2"]
    assert alpha["owner"] == "hub-x"
    full = profiles_client.get(f"/profiles/{alpha['id']}", params={"include_contact": True})
    assert full.json()["contact"] == {"email": "a@example.eu", "phone": None, "person": "Ann"}


def test_gzip_jsonl_and_format_option(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "profiles.data"
    path.write_text(json.dumps(profile_payload()) + "\n", encoding="utf-8")
    unknown = run_import(database_url, str(path))
    assert unknown.exit_code == 2
    assert "cannot tell the format of 'profiles.data'" in unknown.output
    assert run_import(database_url, str(path), "--format", "jsonl").exit_code == 0

    gz = tmp_path / "more.jsonl.gz"
    gz.write_bytes(gzip.compress((json.dumps(profile_payload()) + "\n").encode()))
    result = run_import(database_url, str(gz))
    assert "created 1, updated 0, unchanged 0, rejected 0" in result.output


def test_thousands_of_lines_import_in_seconds(database_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", profile_payloads(2000))
    started = time.monotonic()
    result = run_import(database_url, str(path))
    elapsed = time.monotonic() - started
    assert "created 2000, updated 0, unchanged 0, rejected 0" in result.output
    assert elapsed < 30, f"2000 profiles took {elapsed:.1f}s"


def test_bulk_json_array(profiles_client: TestClient, create: Any) -> None:
    existing = create(external_id="e-1", city="Old")
    body = [
        profile_payload(external_id="e-1", city="New"),
        {"name": "no kind"},
        profile_payload(external_id=None),
        profile_payload(external_id="e-2"),
    ]
    response = profiles_client.post("/profiles/bulk", json=body)
    assert response.status_code == 200
    result = response.json()
    assert (result["created"], result["updated"], result["unchanged"], result["rejected"]) == (
        2,
        1,
        0,
        1,
    )
    items = result["items"]
    assert [(i["line"], i["status"]) for i in items] == [
        (1, "updated"),
        (2, "rejected"),
        (3, "created"),
        (4, "created"),
    ]
    assert items[0]["id"] == existing["id"]
    assert items[1]["error"] == "kind: Field required"
    assert profiles_client.get(f"/profiles/{existing['id']}").json()["city"] == "New"

    again = profiles_client.post("/profiles/bulk", json=[body[0], body[3]]).json()
    assert again["unchanged"] == 2


def test_bulk_ndjson_and_owner(profiles_client: TestClient, create: Any) -> None:
    create(external_id="theirs", owner="hub-a")
    lines = [profile_payload(external_id="mine"), profile_payload(external_id="theirs")]
    body = "\n".join(json.dumps(line) for line in lines) + "\n\n{oops\n"
    response = profiles_client.post(
        "/profiles/bulk",
        content=body.encode(),
        headers={"Content-Type": "application/x-ndjson", "X-Crosslink-Owner": "hub-b"},
    )
    items = response.json()["items"]
    assert [(i["line"], i["status"]) for i in items] == [
        (1, "created"),
        (2, "rejected"),
        (4, "rejected"),
    ]
    assert items[1]["error"] == (
        "external_id 'theirs' belongs to another owner; 'hub-b' may only update the profiles it "
        "created"
    )
    mine = profiles_client.get("/profiles", params={"external_id": "mine"}).json()["data"][0]
    assert mine["owner"] == "hub-b"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"a": 1}',
            "the body must be a JSON array of profiles, or JSON lines with "
            "Content-Type: application/x-ndjson",
        ),
        (
            b"[{",
            "the body is not valid JSON (Expecting property name enclosed in double quotes "
            "at line 1); send a JSON array of profiles, or JSON lines with "
            "Content-Type: application/x-ndjson",
        ),
        (b"\xff\xfe", "the body is not UTF-8 text"),
    ],
)
def test_bulk_rejects_bad_bodies(profiles_client: TestClient, content: bytes, message: str) -> None:
    response = profiles_client.post(
        "/profiles/bulk", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == message


def test_same_external_id_twice_in_one_request(profiles_client: TestClient) -> None:
    first = profile_payload(external_id="twice", city="One")
    second = {**first, "city": "Two"}
    items = profiles_client.post("/profiles/bulk", json=[first, second]).json()["items"]
    assert [i["status"] for i in items] == ["created", "updated"]
    assert items[0]["id"] == items[1]["id"]
    profile = profiles_client.get(f"/profiles/{items[0]['id']}").json()
    assert (profile["city"], profile["version"]) == ("Two", 2)
    changes = profiles_client.get("/changes").json()["changes"]
    assert [(c["op"], c["profile"]["city"]) for c in changes] == [("update", "Two")]


def test_demo_data_loads_into_an_empty_database_once(
    profiles_settings: Any, tmp_path: Path
) -> None:
    demo = tmp_path / "demo.jsonl.gz"
    payloads = profile_payloads(5)
    demo.write_bytes(gzip.compress("\n".join(json.dumps(p) for p in payloads[:3]).encode()))
    examples = write_jsonl(tmp_path / "examples.jsonl", payloads[3:])
    update = {"demo_data": True, "demo_file": demo, "demo_examples_file": examples}
    settings = profiles_settings.model_copy(update=update)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["details"]["profiles"] == 5
        client.delete(f"/profiles/{client.get('/profiles').json()['data'][0]['id']}")
    with TestClient(create_app(settings)) as client:  # not empty: nothing is re-imported
        assert client.get("/health").json()["details"]["profiles"] == 4
    off = settings.model_copy(update={"demo_data": False, "database_url": None})
    with TestClient(create_app(off)) as client:
        assert client.get("/health").json()["details"]["profiles"] == 0


def test_packaged_example_profiles_are_fictional_complete_and_load(
    profiles_settings: Any, tmp_path: Path
) -> None:
    """The example profiles that give the demo its needs: valid, marked as fictional, placed in a
    NUTS 2 region and a NACE sector, each with offers and needs; they load with the demo data."""
    path = ProfilesSettings().demo_examples_file
    assert path is not None and path.name == "examples.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert 8 <= len(records) <= 15
    for record in records:
        profile = ProfileCreate(**record)
        assert profile.external_id and profile.external_id.startswith("example:")
        assert profile.name.endswith("(example)") and "Fictional" in profile.description
        assert profile.offers and profile.needs and profile.sectors
        assert profile.region and len(profile.region) >= 4 and nuts2_of(profile.region)
        assert profile.website is None or profile.website.host.endswith(".example.eu")
    assert len({r["external_id"] for r in records}) == len(records)
    assert any(r["kind"] == "cluster" for r in records)

    absent = tmp_path / "no-cordis.jsonl.gz"  # only the examples: the CORDIS set is large
    update = {"demo_data": True, "demo_file": absent, "demo_examples_file": path}
    with TestClient(create_app(profiles_settings.model_copy(update=update))) as client:
        assert client.get("/health").json()["details"]["profiles"] == len(records)
        listed = client.get("/profiles", params={"limit": 100}).json()["data"]
        by_external = {p["external_id"]: p for p in listed}
        cluster = by_external["example:andalusia-agrifood"]
        assert cluster["kind"] == "cluster" and cluster["region"] == "ES61"
        assert "valorisation of olive mill waste" in cluster["needs"][0]
