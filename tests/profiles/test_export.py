"""`crosslink export` and `GET /profiles/export`: what is exported imports back into an empty
database as the same profiles (SQLite, and PostgreSQL with CROSSLINK_TEST_DATABASE_URL),
contacts only where asked, the list filters, the one error shape, pages while streaming."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from crosslink.cli import app as cli
from models.export import CSV_COLUMNS
from models.profiles import ProfileCreate
from services.profiles.app import create_app
from services.profiles.config import ProfilesSettings
from services.profiles.export import PAGE_SIZE
from tests.databases import fresh_database
from tests.factories import profile_payload, profile_payloads

runner = CliRunner()
COMPARED = (*ProfileCreate.model_fields, "owner")


def awkward_profiles() -> list[dict[str, Any]]:
    """Profiles whose cells a CSV could garble: formula starts, pipes, quotes, newlines, no
    external_id, a partner list, unicode, an empty list."""
    first, second = profile_payloads(2)
    return [
        first
        | {
            "name": '=HYPERLINK("x") Ölwerk',
            "offers": ["laser | welding", "-20 °C storage"],
            "needs": [],
            "description": 'Line one.\nLine two, with "quotes"; and commas.',
            "contact": {"email": "ops@example.eu", "phone": "+49 30 1234", "person": "@Ana"},
        },
        second | {"partners": [first["external_id"]], "keywords": ["'=quoted", "[x]"]},
        profile_payload(external_id=None, name="No external id GmbH", contact=None),
    ]


def run_cli(database_url: str, *args: str) -> Any:
    return runner.invoke(cli, list(args), env={"CROSSLINK_DATABASE_URL": database_url})


def compared(client: TestClient) -> dict[str, dict[str, Any]]:
    """Every profile's importable fields, owner and contact, keyed by external_id or name."""
    listed = client.get("/profiles", params={"limit": 500}).json()["data"]
    result = {}
    for item in listed:
        full = client.get(f"/profiles/{item['id']}", params={"include_contact": "true"}).json()
        result[full["external_id"] or full["name"]] = {name: full[name] for name in COMPARED}
    return result


@pytest.fixture
def other_database(tmp_path: Path) -> Iterator[str]:
    """A second fresh, empty database (own schema on PostgreSQL) to import into."""
    directory = tmp_path / "copy"
    directory.mkdir()
    with fresh_database(directory, "test_copy") as url:
        yield url


@pytest.fixture
def copy_client(other_database: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = ProfilesSettings(database_url=other_database, data_dir=tmp_path, demo_data=False)
    with TestClient(create_app(settings)) as client:
        yield client


def seed(client: TestClient, profiles: list[dict[str, Any]], owner: str) -> None:
    response = client.post("/profiles/bulk", json=profiles, headers={"X-Crosslink-Owner": owner})
    assert response.status_code == 200 and response.json()["created"] == len(profiles), (
        response.text
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("via", ["cli", "http"])
def test_an_export_imports_into_an_empty_database_as_the_same_profiles(
    fmt: str,
    via: str,
    database_url: str,
    other_database: str,
    profiles_client: TestClient,
    copy_client: TestClient,
    tmp_path: Path,
) -> None:
    seed(profiles_client, awkward_profiles(), owner="hub-a")
    path = tmp_path / f"export.{fmt}"
    if via == "cli":
        result = run_cli(database_url, "export", "--format", fmt, "--contacts", "-o", str(path))
        assert result.exit_code == 0, result.output
        assert "exported 3 profiles" in result.output
    else:
        params = {"format": fmt, "include_contact": "true"}
        response = profiles_client.get("/profiles/export", params=params)
        assert response.status_code == 200, response.text
        path.write_bytes(response.content)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert rows[1][CSV_COLUMNS.index("name")].startswith("'=HYPERLINK")  # neutralised
    result = run_cli(other_database, "import", str(path), "--owner", "hub-a", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "created 3, updated 0, unchanged 0, rejected 0" in result.output
    original, copied = compared(profiles_client), compared(copy_client)
    assert len(original) == 3 and copied == original
    assert copied["No external id GmbH"]["contact"] is None


def test_the_export_reads_back_through_the_bulk_endpoint(
    profiles_client: TestClient, copy_client: TestClient
) -> None:
    seed(profiles_client, awkward_profiles(), owner="hub-a")
    body = profiles_client.get("/profiles/export", params={"include_contact": "true"}).content
    response = copy_client.post(
        "/profiles/bulk",
        content=body,
        headers={"Content-Type": "application/x-ndjson", "X-Crosslink-Owner": "hub-a"},
    )
    assert response.status_code == 200 and response.json()["created"] == 3, response.text
    assert compared(copy_client) == compared(profiles_client)


def exported(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/profiles/export", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [json.loads(line) for line in response.text.splitlines()]


def test_contacts_only_when_asked_or_for_the_named_owner(
    profiles_client: TestClient, database_url: str
) -> None:
    seed(profiles_client, profile_payloads(2), owner="hub-a")
    seed(profiles_client, profile_payloads(1), owner="hub-b")
    assert [p["contact"] for p in exported(profiles_client)] == [None, None, None]
    everyone = exported(profiles_client, include_contact="true")
    assert all(p["contact"]["email"].endswith("@example.eu") for p in everyone)
    own = exported(profiles_client, contacts_owner="hub-b")
    assert [p["contact"] is not None for p in own] == [False, False, True]

    withheld = run_cli(database_url, "export", "--format", "csv")
    assert withheld.exit_code == 0, withheld.output
    rows = list(csv.DictReader(io.StringIO(withheld.stdout)))
    assert len(rows) == 3 and {row["contact_email"] for row in rows} == {""}
    shown = run_cli(database_url, "export", "--format", "csv", "--contacts")
    rows = list(csv.DictReader(io.StringIO(shown.stdout)))
    assert all(row["contact_email"].endswith("@example.eu") for row in rows)


def test_the_list_filters_narrow_the_export(profiles_client: TestClient, database_url: str) -> None:
    seed(profiles_client, [profile_payload(country="PL", region="PL91", kind="sme")], "hub-a")
    seed(profiles_client, [profile_payload(country="IT", region="ITC4", kind="research")], "hub-b")
    names = profiles_client.get("/profiles").json()["data"]
    polish, italian = (p["external_id"] for p in names)

    def ids(**params: Any) -> list[str]:
        return [p["external_id"] for p in exported(profiles_client, **params)]

    assert ids(country="PL") == [polish]
    assert ids(region="ITC") == [italian]
    assert ids(kind="research") == [italian]
    assert ids(owner="hub-a") == [polish]
    assert ids(kind=["sme", "research"]) == [polish, italian]
    assert ids(country="DE") == []

    result = run_cli(database_url, "export", "--owner", "hub-b")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["external_id"] for line in result.stdout.splitlines()] == [italian]
    result = run_cli(database_url, "export", "--country", "PL", "--country", "IT", "--kind", "sme")
    assert [json.loads(line)["external_id"] for line in result.stdout.splitlines()] == [polish]


@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({"format": "xml"}, "'jsonl' or 'csv'"),
        ({"country": "ZZ"}, "country 'ZZ' is not an ISO 3166-1 alpha-2 code"),
        ({"kind": "bogus"}, "kind"),
        ({"q": "a\x00b"}, "NUL"),
    ],
)
def test_bad_export_queries_get_the_one_error_shape(
    profiles_client: TestClient, params: dict[str, str], mentions: str
) -> None:
    response = profiles_client.get("/profiles/export", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and mentions in error["message"]


def test_the_cli_refuses_a_bad_format_or_filter(database_url: str) -> None:
    bad_format = run_cli(database_url, "export", "--format", "xml")
    assert bad_format.exit_code == 2 and "xml" in bad_format.output
    bad_country = run_cli(database_url, "export", "--country", "ZZ")
    assert bad_country.exit_code == 2
    assert "error: --country.0: country 'ZZ' is not an ISO 3166-1" in bad_country.output


async def call_app(app: Any, path: str, query: str) -> list[dict[str, Any]]:
    """The ASGI messages `app` sends for one GET, as a server would receive them."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"profiles")],
        "client": ("127.0.0.1", 5),
        "server": ("profiles", 80),
    }
    requested = False
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


def test_a_large_export_is_streamed_in_pages(profiles_settings: ProfilesSettings) -> None:
    count = 2 * PAGE_SIZE + 123
    app = create_app(profiles_settings)
    with TestClient(app) as client:
        created = client.post("/profiles/bulk", json=profile_payloads(count))
        assert created.status_code == 200 and created.json()["created"] == count
        page_reads: list[str] = []

        def count_pages(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "LIMIT" in statement.upper():
                page_reads.append(statement)

        event.listen(app.state.engine, "before_cursor_execute", count_pages)
        try:
            # In a thread of its own: the suite's async tests may leave this thread marked as
            # running asyncio, and anyio.run refuses to nest.
            with ThreadPoolExecutor(max_workers=1) as pool:
                messages = pool.submit(
                    anyio.run, call_app, app, "/profiles/export", "format=csv"
                ).result()
        finally:
            event.remove(app.state.engine, "before_cursor_execute", count_pages)
    start, *bodies = messages
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert b"content-length" not in dict(start["headers"])  # a server sends it chunked
    chunks = [m["body"] for m in bodies if m["body"]]
    assert all(m["more_body"] for m in bodies[:-1]) and not bodies[-1].get("more_body")
    # one chunk per line (the header, then one row per profile), never the export at once
    assert len(chunks) == count + 1 and all(chunk.count(b"\n") == 1 for chunk in chunks)
    assert len(page_reads) == math.ceil(count / PAGE_SIZE)
