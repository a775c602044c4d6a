"""Profile factories shared by every test suite: valid by default, override what a test is about."""

from __future__ import annotations

import itertools
from typing import Any

from models.profiles import ProfileCreate

_counter = itertools.count(1)

# Distinct, realistic organisations: enough topical spread for matching tests.
SAMPLES: list[dict[str, Any]] = [
    {
        "name": "Lasertec Dresden",
        "kind": "research",
        "country": "DE",
        "region": "DED21",
        "city": "Dresden",
        "description": "Applied research institute for laser welding, laser cutting and in-process "
        "monitoring of joining processes for metal parts.",
        "offers": ["laser welding process monitoring", "weld seam inspection with cameras"],
        "needs": ["industrial partners for pilot lines"],
        "keywords": ["laser welding", "process monitoring", "joining"],
        "sectors": ["M72.1"],
        "languages": ["de", "en"],
    },
    {
        "name": "Alu Parts Lombardia",
        "kind": "sme",
        "country": "IT",
        "region": "ITC4",
        "city": "Milano",
        "description": "We make aluminium parts for the automotive industry by die casting and "
        "machining.",
        "offers": ["aluminium die casting", "CNC machining"],
        "needs": ["help with laser-welding process monitoring"],
        "keywords": ["aluminium", "die casting"],
        "sectors": ["C24.5", "C25"],
        "languages": ["it", "en"],
    },
    {
        "name": "BioPack Cluster Catalunya",
        "kind": "cluster",
        "country": "ES",
        "region": "ES51",
        "city": "Barcelona",
        "description": "Cluster organisation of food and plastics companies developing "
        "bioplastic packaging from agricultural residues.",
        "offers": ["network of food producers", "bioplastics pilot plant access"],
        "needs": ["compostable film expertise"],
        "keywords": ["bioplastics", "food packaging", "circular economy"],
        "sectors": ["C22.2", "C10"],
        "languages": ["es", "ca", "en"],
    },
    {
        "name": "Warsaw Software House",
        "kind": "sme",
        "country": "PL",
        "region": "PL91",
        "city": "Warszawa",
        "description": "Software company building machine-learning systems for predictive "
        "maintenance in factories.",
        "offers": ["predictive maintenance software", "data engineering"],
        "needs": ["manufacturing pilot customers"],
        "keywords": ["machine learning", "predictive maintenance"],
        "sectors": ["J62"],
        "languages": ["pl", "en"],
    },
    {
        "name": "Athens Solar Lab",
        "kind": "research",
        "country": "EL",
        "region": "EL30",
        "city": "Athens",
        "description": "University laboratory for photovoltaic materials and solar energy "
        "systems testing.",
        "offers": ["solar module testing", "perovskite research"],
        "needs": ["manufacturers for field trials"],
        "keywords": ["photovoltaics", "solar energy"],
        "sectors": ["M72.1", "P85.4"],
        "languages": ["el", "en"],
    },
    {
        "name": "Wien Health Agency",
        "kind": "public",
        "country": "AT",
        "region": "AT13",
        "city": "Wien",
        "description": "Regional agency supporting digital health start-ups with funding and "
        "hospital testbeds.",
        "offers": ["hospital testbeds", "innovation vouchers"],
        "needs": ["digital health companies from other regions"],
        "keywords": ["digital health", "innovation voucher"],
        "sectors": ["O84"],
        "languages": ["de", "en"],
    },
]


def profile_payload(**overrides: Any) -> dict[str, Any]:
    """A valid ProfileCreate body (JSON-ready) with a unique external_id and name."""
    n = next(_counter)
    data = {k: list(v) if isinstance(v, list) else v for k, v in SAMPLES[n % len(SAMPLES)].items()}
    data["name"] = f"{data['name']} {n}"
    data["external_id"] = f"test-{n}"
    data["website"] = f"https://example.eu/org-{n}"
    data["contact"] = {"email": f"contact{n}@example.eu", "person": "Ada Lovelace"}
    data.update(overrides)
    return data


def profile_payloads(count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [profile_payload(**overrides) for _ in range(count)]


def profile_create(**overrides: Any) -> ProfileCreate:
    return ProfileCreate.model_validate(profile_payload(**overrides))
