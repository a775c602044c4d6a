"""Profiles from the raw CORDIS Horizon Europe tables, and `crosslink import-cordis DIR`.

CORDIS has no organisation descriptions: a profile's text is built from the organisation's
projects (titles, teasers, objectives, keywords, EuroSciVoc fields), its `partners` from
co-participation. With `signed_before`, only projects signed before that date count, which is
what the time-split quality evaluation needs. Source: CORDIS, © European Union.
"""

from __future__ import annotations

import csv
import gzip
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from models import reference
from models.profiles import Kind, ProfileCreate
from services.profiles.cordis_text import sentences, unsaid

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 10_000
MAX_OFFERS = 20
MAX_KEYWORDS = 40
MAX_PARTNERS = 10_000
TEASER_CHARS = 300
# Roles whose members bring work into the project (third parties only support a beneficiary).
PARTNER_ROLES = frozenset({"coordinator", "participant", "associatedPartner"})
BENEFICIARY_ROLES = frozenset({"coordinator", "participant"})

CLUSTER_NAME = re.compile(
    r"clust|klast|klaszter|kluster|klasinn|grozd|p[oô]les? de comp[eé]titivit[eé]"
    r"|agrupaci[oó]n(es)? empresarial(es)? innovador",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Project:
    id: str
    acronym: str
    title: str
    teaser: str
    objective: str
    keywords: tuple[str, ...]
    fields: tuple[str, ...]
    signed: date | None


@dataclass
class Participation:
    project_id: str
    org_id: str
    role: str


@dataclass
class CordisData:
    """The raw tables, loaded once."""

    projects: dict[str, Project]
    participations: list[Participation]
    organisations: dict[str, dict[str, str]]
    members: dict[str, list[Participation]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for p in self.participations:
            self.members.setdefault(p.project_id, []).append(p)


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found; expected the CORDIS Horizon Europe tables "
            "(projects.csv.gz, participations.csv.gz, organizations.csv.gz, euroscivoc.csv.gz)"
        )
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _parse_date(value: str) -> date | None:
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


def _split_keywords(value: str) -> tuple[str, ...]:
    parts = (k.strip(" .;") for k in re.split(r"[,;]", value))
    return tuple(k for k in parts if 1 < len(k) <= 100)


def load_cordis(cordis_dir: Path | str) -> CordisData:
    """Read the CORDIS tables from `cordis_dir` (the folder with SOURCE.md)."""
    root = Path(cordis_dir)
    fields: dict[str, list[str]] = defaultdict(list)
    for row in _read_csv(root / "euroscivoc.csv.gz"):
        fields[row["projectID"]].append(row["euroSciVocTitle"].strip())
    projects = {
        row["projectID"]: Project(
            id=row["projectID"],
            acronym=row["acronym"].strip(),
            title=row["title"].strip(),
            teaser=row["teaser"].strip(),
            objective=" ".join(row["objective"].split()),
            keywords=_split_keywords(row["keywords"]),
            fields=tuple(dict.fromkeys(f for f in fields.get(row["projectID"], []) if f)),
            signed=_parse_date(row["ecSignatureDate"]),
        )
        for row in _read_csv(root / "projects.csv.gz")
    }
    participations = [
        Participation(row["projectID"], row["organisationID"], row["role"])
        for row in _read_csv(root / "participations.csv.gz")
        if row["projectID"] in projects
    ]
    organisations = {row["organisationID"]: row for row in _read_csv(root / "organizations.csv.gz")}
    return CordisData(projects, participations, organisations)


def kind_of(org: dict[str, str]) -> Kind:
    """Universities (HES) -> research and public bodies (PUB) -> public whatever their SME flag
    (CORDIS flags some of them as SMEs); clusters by name; SME flag -> sme; REC -> research;
    PRC -> company; the rest -> other."""
    activity = org["activityType"]
    if activity == "HES":
        return Kind.research
    if activity == "PUB":
        return Kind.public
    if CLUSTER_NAME.search(org["legalName"]):
        return Kind.cluster
    if org["SME"] == "true":
        return Kind.sme
    if activity == "REC":
        return Kind.research
    if activity == "PRC":
        return Kind.company
    return Kind.other


def _region(org: dict[str, str], country: str) -> str | None:
    for code in (org["nuts3"], org["nuts2"]):
        if code and code[:2] == country and reference.is_nuts_region(code):
            return code
    return None


def _website(url: str) -> str | None:
    url = url.strip()
    if not url or " " in url:
        return None
    return url if re.match(r"^https?://", url, re.IGNORECASE) else f"http://{url}"


def _description(projects: list[Project]) -> str:
    """Titles and teasers of every project first, then objectives while room is left; a
    sentence already said (the teaser repeated at the start of the objective) is not repeated."""
    parts: list[str] = []
    seen: set[str] = set()
    size = 0
    for project in projects:
        teaser = project.teaser or project.objective
        if len(teaser) > TEASER_CHARS:  # whole sentences, so the objective can skip them
            whole = sentences(teaser[: TEASER_CHARS + 1])[:-1]
            teaser = " ".join(whole) or teaser[:TEASER_CHARS].rsplit(" ", 1)[0] + "…"
        teaser = unsaid(teaser, seen)
        line = f"{project.title}: {teaser}" if teaser else project.title
        if size + len(line) + 1 > MAX_DESCRIPTION:
            break
        parts.append(line)
        size += len(line) + 1
    for project in projects:
        room = MAX_DESCRIPTION - size - 1
        if room < 200:
            break
        extra = unsaid(project.objective, seen)
        if not extra:
            continue
        if len(extra) > room:
            extra = extra[:room].rsplit(" ", 1)[0]
        parts.append(extra)
        size += len(extra) + 1
    return "\n".join(parts)[:MAX_DESCRIPTION]


def _keywords(projects: list[Project]) -> list[str]:
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for project in projects:
        for term in (*project.keywords, *project.fields):
            key = term.lower()
            spelling.setdefault(key, term)
            counts[key] += 1
    return [spelling[key] for key, _ in counts.most_common(MAX_KEYWORDS)]


def _profile(
    org: dict[str, str], projects: list[Project], partners: Iterable[str]
) -> dict[str, Any] | None:
    country = reference.normalise_country(org["country"])
    if country is None or not org["legalName"].strip():
        return None
    record: dict[str, Any] = {
        "external_id": f"cordis:{org['organisationID']}",
        "name": org["legalName"].strip()[:300],
        "kind": kind_of(org).value,
        "country": country,
        "region": _region(org, country),
        "city": org["city"].strip()[:200] or None,
        "description": _description(projects),
        "offers": list(dict.fromkeys(p.title[:1000] for p in projects if p.title))[:MAX_OFFERS],
        "keywords": _keywords(projects),
        "website": _website(org["url"]),
        "partners": sorted(f"cordis:{pic}" for pic in partners)[:MAX_PARTNERS],
    }
    for optional in ("website", "region", "city"):
        try:
            return ProfileCreate.model_validate(record).model_dump(mode="json", exclude_none=True)
        except ValidationError as exc:
            log.debug("cordis:%s: dropping %s (%s)", org["organisationID"], optional, exc)
            record[optional] = None
    try:
        return ProfileCreate.model_validate(record).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        log.warning("cordis:%s skipped: %s", org["organisationID"], exc)
        return None


def build_profiles(
    cordis_dir: Path | str | CordisData,
    *,
    signed_before: date | None = None,
    org_ids: set[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one `ProfileCreate`-shaped dict per organisation with a project (signed before
    `signed_before` when given), most active organisations first; `org_ids` restricts to PICs."""
    data = cordis_dir if isinstance(cordis_dir, CordisData) else load_cordis(cordis_dir)
    eligible = {
        pid: p
        for pid, p in data.projects.items()
        if signed_before is None or (p.signed is not None and p.signed < signed_before)
    }
    projects_of: dict[str, list[tuple[bool, Project]]] = defaultdict(list)
    partners_of: dict[str, set[str]] = defaultdict(set)
    for pid, project in eligible.items():
        members = data.members.get(pid, [])
        workers = {m.org_id for m in members if m.role in PARTNER_ROLES}
        seen: set[str] = set()
        for m in members:
            if m.org_id in seen or (org_ids is not None and m.org_id not in org_ids):
                continue
            seen.add(m.org_id)
            projects_of[m.org_id].append((m.role == "coordinator", project))
            if m.role in PARTNER_ROLES:
                partners_of[m.org_id].update(workers - {m.org_id})
    # The most active organisations first.
    order = sorted(projects_of, key=lambda pic: (-len(projects_of[pic]), pic))
    for pic in order:
        org = data.organisations.get(pic)
        if org is None:
            continue
        # Coordinated projects first, then the most recent: the most telling text leads.
        ranked = sorted(
            projects_of[pic],
            key=lambda cp: (not cp[0], -(cp[1].signed or date.min).toordinal(), cp[1].id),
        )
        record = _profile(org, [p for _, p in ranked], partners_of[pic])
        if record is not None:
            yield record


def register(app: typer.Typer) -> None:
    """Add `crosslink import-cordis DIR [--limit N] [--signed-before DATE]`."""

    @app.command("import-cordis")
    def import_cordis(
        cordis_dir: Annotated[
            Path,
            typer.Argument(
                exists=True, file_okay=False, help="Folder with the CORDIS Horizon Europe tables"
            ),
        ],
        limit: Annotated[
            int | None, typer.Option(min=1, help="Import at most N organisations")
        ] = None,
        signed_before: Annotated[
            datetime | None,
            typer.Option(formats=["%Y-%m-%d"], help="Only projects signed before this date"),
        ] = None,
    ) -> None:
        """Build profiles from the raw CORDIS tables and upsert them by external_id."""
        from itertools import islice

        from sqlmodel import Session

        from services.profiles.config import ProfilesSettings
        from services.profiles.db import create_tables, make_engine
        from services.profiles.importer import import_records

        try:
            data = load_cordis(cordis_dir)
        except FileNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        records = build_profiles(
            data, signed_before=signed_before.date() if signed_before else None
        )
        if limit is not None:
            records = islice(records, limit)
        engine = make_engine(ProfilesSettings().resolved_database_url)
        create_tables(engine)
        with Session(engine) as session:
            result = import_records(records, session=session, progress=True)
        typer.echo(
            f"created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}, rejected {result.rejected}"
        )
        for item in result.items:
            if item.status == "rejected":
                typer.echo(f"record {item.line} ({item.external_id}): {item.error}", err=True)
        engine.dispose()
        if result.rejected:
            raise typer.Exit(1)
