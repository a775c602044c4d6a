"""A tiny CORDIS-shaped folder: five projects (three before 2024), seven organisations."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

ORGS = [
    # PIC, legal name, activity type, SME, country, NUTS-3, url
    ("100", "LASER INSTITUT EV", "REC", "false", "DE", "DE212", "www.laser.example"),
    ("200", "WELDTECH SL", "PRC", "true", "ES", "ES511", ""),
    ("300", "BIG STEEL SPA", "PRC", "false", "IT", "ITC11", "https://steel.example"),
    ("400", "ASOCIACION CLUSTER DE LA SOLDADURA", "OTH", "false", "ES", "ES300", ""),
    ("500", "MINISTERIO DE INDUSTRIA", "PUB", "false", "ES", "XX999", ""),
    ("600", "UNIVERSITAT POLITECNICA", "HES", "false", "ES", "ES511", ""),
    ("700", "FOUNDATION FOR THINGS", "OTH", "false", "FR", "FR101", ""),
]
PROJECTS = [
    # id, title, objective, keywords, signed, [(PIC, role)]
    (
        "1",
        "Laser welding process monitoring",
        "We monitor laser welding of aluminium parts with cameras and machine learning.",
        "laser welding, monitoring",
        "2022-03-01",
        [("100", "coordinator"), ("200", "participant"), ("400", "participant")],
    ),
    (
        "2",
        "Green steel furnaces",
        "Hydrogen based direct reduction of iron ore for steel.",
        "steel, hydrogen",
        "2023-05-01",
        [("300", "coordinator"), ("100", "participant"), ("500", "associatedPartner")],
    ),
    (
        "3",
        "Robotic seam tracking",
        "Robots follow weld seams with structured light sensors.",
        "robotics",
        "2023-09-01",
        [("600", "coordinator"), ("200", "participant")],
    ),
    (
        "4",
        "Weld inspection with AI",
        "Non-destructive inspection of welded joints using AI and ultrasound.",
        "welding, inspection",
        "2024-06-01",
        [
            ("200", "coordinator"),
            ("100", "participant"),
            ("300", "participant"),
            ("600", "participant"),
        ],
    ),
    (
        "5",
        "Cultural heritage archives",
        "Digitising archives of museums.",
        "heritage",
        "2024-09-01",
        [("700", "coordinator"), ("600", "participant")],
    ),
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="session")
def cordis_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cordis")
    _write(
        root / "projects.csv.gz",
        ["projectID", "acronym", "title", "teaser", "objective", "keywords", "ecSignatureDate"],
        [[p[0], f"P{p[0]}", p[1], "", p[2], p[3], p[4]] for p in PROJECTS],
    )
    _write(
        root / "participations.csv.gz",
        ["projectID", "organisationID", "role"],
        [[p[0], pic, role] for p in PROJECTS for pic, role in p[5]],
    )
    _write(
        root / "organizations.csv.gz",
        [
            "organisationID",
            "legalName",
            "activityType",
            "SME",
            "country",
            "city",
            "nuts2",
            "nuts3",
            "url",
        ],
        [[o[0], o[1], o[2], o[3], o[4], "Town", o[5][:4], o[5], o[6]] for o in ORGS],
    )
    _write(
        root / "euroscivoc.csv.gz",
        ["projectID", "euroSciVocTitle"],
        [["1", "laser physics"], ["4", "non-destructive testing"]],
    )
    return root
