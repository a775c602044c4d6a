"""Input that used to take a whole import or bulk request down: deep nesting, bytes that are
not UTF-8, truncated lines, wrong CSV headers, unknown columns; and Kosovo (XK)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from crosslink.cli import app as cli
from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings
from tests.factories import profile_payload

runner = CliRunner()
DEEP = "[" * 10_000 + "]" * 10_000
TOO_DEEP = "arrays and objects are nested more than 32 levels deep"


def run_import(database_url: str, *args: str) -> Any:
    env = {"CROSSLINK_DATABASE_URL": database_url}
    return runner.invoke(cli, ["import", *args, "--no-progress"], env=env)


def external_ids(client: TestClient) -> list[str]:
    return sorted(p["external_id"] for p in client.get("/profiles").json()["data"])


def test_bulk_json_array_with_a_deep_item_keeps_the_good_ones(profiles_client: TestClient) -> None:
    good = [profile_payload(external_id="a"), profile_payload(external_id="b")]
    deep_field = json.dumps(profile_payload(external_id="c"))[:-1] + f', "offers": {DEEP}}}'
    body = f"[{json.dumps(good[0])}, {DEEP}, {deep_field}, {json.dumps(good[1])}]"
    response = profiles_client.post(
        "/profiles/bulk", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["line"], i["status"]) for i in items] == [
        (1, "created"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "created"),
    ]
    assert items[1]["error"].startswith(TOO_DEEP) and items[2]["error"].startswith(TOO_DEEP)
    assert external_ids(profiles_client) == ["a", "b"]


def test_bulk_ndjson_with_a_deep_line_keeps_the_good_ones(profiles_client: TestClient) -> None:
    lines = [json.dumps(profile_payload(external_id="a")), DEEP, '{"a": ' * 5000 + "1" + "}" * 5000]
    lines.append(json.dumps(profile_payload(external_id="b")))
    response = profiles_client.post(
        "/profiles/bulk",
        content="\n".join(lines).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["line"], i["status"]) for i in items] == [
        (1, "created"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "created"),
    ]
    assert items[1]["error"].startswith(TOO_DEEP) and items[2]["error"].startswith(TOO_DEEP)
    assert external_ids(profiles_client) == ["a", "b"]


def test_bulk_deep_body_that_is_not_an_array_is_a_clear_422(profiles_client: TestClient) -> None:
    for body in ('{"a": ' + DEEP + "}", DEEP[:5000]):
        response = profiles_client.post(
            "/profiles/bulk", content=body.encode(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["message"].startswith("the body ")


def test_the_depth_limit_is_configurable(profiles_settings: ProfilesSettings) -> None:
    settings = profiles_settings.model_copy(update={"json_max_depth": 2})
    nested = profile_payload(external_id="n", offers=[["not", "text"]])  # three levels
    with TestClient(create_app(settings)) as client:
        items = client.post("/profiles/bulk", json=[profile_payload(), nested]).json()["items"]
    assert [i["status"] for i in items] == ["created", "rejected"]
    assert items[1]["error"].startswith("arrays and objects are nested more than 2 levels")


def test_import_reports_unreadable_lines_and_goes_on(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    truncated = '{"external_id": "t", "name": "Alpha", "kind": "sme"'  # cut after a value
    latin1 = json.dumps(
        profile_payload(external_id="l", name="Müller GmbH"), ensure_ascii=False
    ).encode("latin-1")
    lines = [
        json.dumps(profile_payload(external_id="a")).encode(),
        DEEP.encode(),
        latin1,
        truncated.encode(),
        json.dumps(profile_payload(external_id="b")).encode(),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = run_import(database_url, str(path))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"line 2: rejected: {TOO_DEEP}" in result.output
    column = latin1.index(b"\xfc") + 1
    assert f"line 3: rejected: not UTF-8 text: byte 0xfc at column {column}" in result.output
    assert (  # the end of line 4, not column 1 of line 5
        f"line 4: rejected: not valid JSON: Expecting ',' delimiter at column {len(truncated) + 1}"
        in result.output
    )
    assert "created 2, updated 0, unchanged 0, rejected 3" in result.output
    assert external_ids(profiles_client) == ["a", "b"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


ROW = ["Alpha", "sme", "DE", "Sensors."]


def test_csv_with_a_wrong_header_is_named_as_such(database_url: str, tmp_path: Path) -> None:
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("name;kind;country;description\nAlpha;sme;DE;Sensors.\n")
    result = run_import(database_url, str(semicolons))
    assert result.exit_code == 2
    assert (
        "error: line 1: the CSV header ('name;kind;country;description') names no profile "
        "column; expected one of: external_id, name, kind," in result.output
    )
    missing = write_csv(tmp_path / "missing.csv", ["name", "country", "description"], [])
    result = run_import(database_url, str(missing))
    assert result.exit_code == 2
    assert "line 1: the CSV header lacks the required column(s) kind" in result.output


def test_unknown_columns_are_warned_about_once_and_ignored(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    header = ["name", "kind", "member_since", "country", "description", "notes"]
    rows = [
        ["Alpha", "sme", "2019", "DE", "Sensors.", "x"],
        ["Beta", "sme", "", "FR", "Glass.", ""],
    ]
    path = write_csv(tmp_path / "export.csv", header, rows)
    result = run_import(database_url, str(path))
    assert result.exit_code == 0, result.output
    assert result.output.count("unknown field(s) 'member_since', 'notes' ignored") == 1
    assert "created 2, updated 0, unchanged 0, rejected 0" in result.output

    strict = run_import(database_url, str(path), "--strict")
    assert strict.exit_code == 2
    assert "the CSV header has unknown column(s) 'member_since', 'notes'" in strict.output
    assert len(profiles_client.get("/profiles").json()["data"]) == 2


def test_unknown_jsonl_fields_are_warned_about_once_and_ignored(
    database_url: str, tmp_path: Path
) -> None:
    records = [profile_payload(hub_score=3), profile_payload(hub_score=4)]
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    result = run_import(database_url, str(path))
    assert result.exit_code == 0, result.output
    assert result.output.count("warning: line 1: unknown field(s) 'hub_score' ignored") == 1
    assert "created 2" in result.output
    strict = run_import(database_url, str(path), "--strict")
    assert strict.exit_code == 1
    assert "line 2: rejected: hub_score: Extra inputs are not permitted" in strict.output


def test_a_csv_row_that_is_not_utf8_is_rejected_alone(
    database_url: str, tmp_path: Path, profiles_client: TestClient
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"name,kind,country,description\n"
        b"Alpha,sme,DE,Sensors.\n"
        b"M\xfcller,sme,DE,Tools.\n"
        b"Gamma,sme,FR,Optics.\n"
    )
    result = run_import(database_url, str(path))
    assert result.exit_code == 1
    assert "line 3: rejected: name: not UTF-8 text" in result.output
    assert "created 2, updated 0, unchanged 0, rejected 1" in result.output
    names = {p["name"] for p in profiles_client.get("/profiles").json()["data"]}
    assert names == {"Alpha", "Gamma"}


def test_kosovo_is_a_country(
    profiles_client: TestClient, database_url: str, tmp_path: Path
) -> None:
    created = profiles_client.post("/profiles", json=profile_payload(country="XK", region=None))
    assert created.status_code == 201, created.text
    assert (created.json()["country"], created.json()["country_name"]) == ("XK", "Kosovo")
    listed = profiles_client.get("/profiles", params={"country": "xk"}).json()["data"]
    assert [p["id"] for p in listed] == [created.json()["id"]]
    path = write_csv(
        tmp_path / "xk.csv",
        ["name", "kind", "country", "description"],
        [["Prishtina Labs", "sme", "XK", "Software."]],
    )
    assert "created 1" in run_import(database_url, str(path)).output
    bad = profiles_client.post("/profiles", json=profile_payload(country="XX", region=None))
    assert bad.status_code == 422
