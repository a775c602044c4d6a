"""The one test dataset: realistic organisations, each written once, and factories over them.

`ORGANISATIONS` holds every organisation the suites use; a suite loads a named selection of them
(`GATEWAY_SET`, `WEB_SET`, `SAMPLE_SET`) with `dataset(keys, prefix=...)`, which adds the
external id `<prefix>-<key>` and a contact. `profile_payload()` makes any number of valid,
unique profiles for tests that only need "a profile": override what the test is about.
"""

from __future__ import annotations

import itertools
from typing import Any

from models.profiles import ProfileCreate

_counter = itertools.count(1)

ORGANISATIONS: dict[str, dict[str, Any]] = {
    "lasertec": {
        "name": "Lasertec Dresden",
        "kind": "research",
        "country": "DE",
        "region": "DED21",
        "city": "Dresden",
        "description": (
            "Applied research institute for laser welding, laser cutting and "
            "in-process monitoring of joining processes for metal parts."
        ),
        "offers": ["laser welding process monitoring", "weld seam inspection with cameras"],
        "needs": ["industrial partners for pilot lines"],
        "keywords": ["laser welding", "process monitoring", "joining"],
        "sectors": ["M72.1"],
        "languages": ["de", "en"],
        "website": "https://lasertec.example.eu/",
    },
    "polilaser": {
        "name": "Politecnico Laser Lab Milano",
        "kind": "research",
        "country": "IT",
        "region": "ITC4C",
        "city": "Milano",
        "description": (
            "University laboratory for laser welding of aluminium and monitoring "
            "of the weld pool with high-speed cameras."
        ),
        "offers": ["laser welding process monitoring"],
        "keywords": ["laser welding"],
        "sectors": ["M72.1"],
    },
    "aachen": {
        "name": "Aachen Joining Institute",
        "kind": "research",
        "country": "DE",
        "region": "DEA2",
        "city": "Aachen",
        "description": (
            "Research on joining technology: laser beam welding, brazing and "
            "quality assurance of welded joints in car bodies."
        ),
        "offers": ["laser beam welding trials", "weld quality assurance"],
        "sectors": ["M72.1"],
    },
    "lyonweld": {
        "name": "Lyon Laser Welding Services",
        "kind": "sme",
        "country": "FR",
        "region": "FRK26",
        "city": "Lyon",
        "description": (
            "Job shop offering laser welding and laser process monitoring services"
            " to the automotive supply chain."
        ),
        "offers": ["laser welding services"],
        "sectors": ["C25"],
    },
    "aluparts": {
        "name": "Alu Parts Lombardia",
        "kind": "sme",
        "country": "IT",
        "region": "ITC4",
        "city": "Milano",
        "description": (
            "We make aluminium parts for the automotive industry by die casting and machining."
        ),
        "offers": ["aluminium die casting", "CNC machining"],
        "needs": ["help with laser-welding process monitoring"],
        "keywords": ["aluminium", "die casting"],
        "sectors": ["C25"],
        "languages": ["it", "en"],
    },
    "viennapv": {
        "name": "Vienna Photovoltaics Institute",
        "kind": "research",
        "country": "AT",
        "region": "AT130",
        "city": "Wien",
        "description": (
            "Research institute testing solar modules and photovoltaic systems "
            "outdoors and in the laboratory; field trials of new module types."
        ),
        "offers": ["solar module testing", "photovoltaic field trials"],
        "sectors": ["M72.1"],
    },
    "grazdata": {
        "name": "Graz Data Factory",
        "kind": "sme",
        "country": "AT",
        "region": "AT221",
        "city": "Graz",
        "description": (
            "Software company building machine-learning systems for predictive "
            "maintenance of production lines and machine tools."
        ),
        "offers": ["predictive maintenance software", "machine condition monitoring"],
        "sectors": ["J62"],
    },
    "plasticscluster": {
        "name": "Upper Austria Plastics Cluster",
        "kind": "cluster",
        "country": "AT",
        "region": "AT312",
        "city": "Linz",
        "description": (
            "Cluster organisation of plastics processors developing compostable "
            "bioplastic packaging films with food companies."
        ),
        "offers": ["bioplastic packaging film network", "compostable film pilot projects"],
        "sectors": ["C22.2"],
    },
    "linzbio": {
        "name": "Linz Biopolymer Institute",
        "kind": "research",
        "country": "AT",
        "region": "AT312",
        "city": "Linz",
        "description": (
            "University institute for biopolymers: compostable films, bio-based "
            "packaging materials and their testing."
        ),
        "offers": ["compostable packaging film research"],
        "sectors": ["M72.1"],
    },
    "viennahealth": {
        "name": "Wien Health Agency",
        "kind": "public",
        "country": "AT",
        "region": "AT130",
        "city": "Wien",
        "description": (
            "Public agency running hospitals for the city of Vienna; supports "
            "digital health start-ups with funding and hospital testbeds."
        ),
        "offers": ["hospital testbeds", "innovation vouchers"],
        "needs": ["digital health companies from other regions"],
        "keywords": ["digital health", "innovation voucher"],
        "sectors": ["O84"],
        "languages": ["de", "en"],
    },
    "salzburgtimber": {
        "name": "Salzburg Timber Tech",
        "kind": "sme",
        "country": "AT",
        "region": "AT323",
        "city": "Salzburg",
        "description": (
            "Manufacturer of prefabricated timber houses and wooden construction elements."
        ),
        "offers": ["timber construction"],
        "sectors": ["C16"],
    },
    "innsbrucksolar": {
        "name": "Innsbruck Alpine Solar",
        "kind": "sme",
        "country": "AT",
        "region": "AT332",
        "city": "Innsbruck",
        "description": (
            "Company installing solar power plants in the Alps and testing solar "
            "modules under snow load and cold."
        ),
        "offers": ["solar installation", "solar module testing in cold climates"],
        "sectors": ["F43"],
    },
    "athenssolar": {
        "name": "Athens Solar Lab",
        "kind": "research",
        "country": "EL",
        "region": "EL30",
        "city": "Athens",
        "description": (
            "Research laboratory for photovoltaic modules, solar cell reliability "
            "and grid integration of solar power."
        ),
        "offers": ["solar module reliability testing"],
        "keywords": ["photovoltaics", "solar energy"],
        "sectors": ["M72.1"],
        "languages": ["el", "en"],
    },
    "warsawsoft": {
        "name": "Warsaw Software House",
        "kind": "sme",
        "country": "PL",
        "region": "PL91",
        "city": "Warszawa",
        "description": (
            "Software company building computer vision and machine learning "
            "systems for quality inspection in factories."
        ),
        "offers": ["computer vision for quality inspection", "machine learning models"],
        "needs": ["manufacturing pilot sites"],
        "keywords": ["computer vision", "machine learning"],
        "sectors": ["J62"],
        "languages": ["pl", "en"],
    },
    "biopack": {
        "name": "BioPack Cluster Catalunya",
        "kind": "cluster",
        "country": "ES",
        "region": "ES51",
        "city": "Barcelona",
        "description": (
            "Cluster organisation of food and plastics companies developing "
            "bioplastic packaging from agricultural residues."
        ),
        "offers": ["network of food producers", "bioplastics pilot plant access"],
        "needs": ["compostable film expertise"],
        "keywords": ["bioplastics", "food packaging", "circular economy"],
        "sectors": ["C22.2", "C10"],
        "languages": ["es", "en"],
    },
    "hydrogen": {
        "name": "North Sea Hydrogen Valley",
        "kind": "cluster",
        "country": "NL",
        "region": "NL11",
        "city": "Groningen",
        "description": (
            "Cluster of companies producing green hydrogen with electrolysers and "
            "building hydrogen pipelines."
        ),
        "sectors": ["D35"],
    },
    "textile": {
        "name": "Porto Smart Textiles",
        "kind": "sme",
        "country": "PT",
        "region": "PT11A",
        "city": "Porto",
        "description": "Producer of technical textiles with integrated sensors for sportswear.",
        "sectors": ["C13"],
    },
    "agrifood": {
        "name": "Wageningen Food Lab",
        "kind": "research",
        "country": "NL",
        "region": "NL22",
        "city": "Wageningen",
        "description": ("Research on food processing, plant proteins and sustainable agriculture."),
        "sectors": ["M72.1"],
    },
    "medtech": {
        "name": "Leuven Medical Devices",
        "kind": "company",
        "country": "BE",
        "region": "BE24",
        "city": "Leuven",
        "description": "Large manufacturer of medical imaging devices and surgical robots.",
        "sectors": ["C26.6"],
    },
    "battery": {
        "name": "Skelleftea Battery Works",
        "kind": "company",
        "country": "SE",
        "region": "SE33",
        "city": "Skelleftea",
        "description": "Gigafactory producing lithium-ion battery cells for electric vehicles.",
        "sectors": ["C27.2"],
    },
    "tourism": {
        "name": "Dalmatia Tourism Board",
        "kind": "public",
        "country": "HR",
        "region": "HR03",
        "city": "Split",
        "description": (
            "Regional tourism agency promoting sustainable tourism on the Adriatic coast."
        ),
        "sectors": ["N79"],
    },
    "aerospace": {
        "name": "Toulouse Aero Composites",
        "kind": "sme",
        "country": "FR",
        "region": "FRJ23",
        "city": "Toulouse",
        "description": "Supplier of carbon-fibre composite parts for aircraft and drones.",
        "sectors": ["C30.3"],
    },
    "wine": {
        "name": "Bordeaux Wine Tech",
        "kind": "sme",
        "country": "FR",
        "region": "FRI12",
        "city": "Bordeaux",
        "description": "Sensors and software for vineyards and wine cellars.",
        "sectors": ["C11.0"],
    },
    "robotics": {
        "name": "Odense Robotics Cluster",
        "kind": "cluster",
        "country": "DK",
        "region": "DK03",
        "city": "Odense",
        "description": "Cluster of collaborative robot makers and automation integrators.",
        "sectors": ["C28"],
    },
    "chemnitz": {
        "name": "Chemnitz Lightweight Materials Institute",
        "kind": "research",
        "country": "DE",
        "region": "DED41",
        "city": "Chemnitz",
        "description": (
            "University institute for lightweight design with aluminium and fibre "
            "composites, testing of joints and fatigue of car body parts."
        ),
        "offers": ["fatigue testing of aluminium joints", "lightweight design consulting"],
        "keywords": ["lightweight design", "aluminium", "composites"],
        "sectors": ["M72.1"],
        "languages": ["de", "en"],
    },
    "silicon-saxony": {
        "name": "Silicon Saxony Network",
        "kind": "cluster",
        "country": "DE",
        "region": "DED21",
        "city": "Dresden",
        "description": (
            "Cluster organisation of semiconductor, electronics and software "
            "firms; brokers contacts to chip makers and sensor manufacturers."
        ),
        "offers": ["introductions to semiconductor and sensor companies"],
        "keywords": ["microelectronics", "sensors", "cluster"],
        "sectors": ["C26"],
        "languages": ["de", "en"],
    },
    "leipzig-packaging": {
        "name": "Leipzig Green Packaging",
        "kind": "sme",
        "country": "DE",
        "region": "DED51",
        "city": "Leipzig",
        "description": (
            "Small firm producing compostable films and bioplastic food packaging "
            "from starch and agricultural residues."
        ),
        "offers": ["compostable film production", "bioplastic packaging prototypes"],
        "keywords": ["bioplastics", "compostable film", "packaging"],
        "sectors": ["C22.2"],
        "languages": ["de"],
    },
    "portosolar": {
        "name": "Porto Solar Modules",
        "kind": "sme",
        "country": "PT",
        "region": "PT11",
        "city": "Porto",
        "description": (
            "Assembles photovoltaic modules and solar panels for rooftops; tests "
            "solar cell efficiency."
        ),
        "offers": ["photovoltaic rooftop modules"],
        "needs": ["laser welding process monitoring for solar cell connectors"],
        "keywords": ["photovoltaics", "solar modules"],
        "sectors": ["C27.9"],
        "languages": ["pt", "en"],
    },
    "brnosteel": {
        "name": "Brno Steel Frames",
        "kind": "sme",
        "country": "CZ",
        "region": "CZ06",
        "city": "Brno",
        "description": (
            "Fabricates steel frames and aluminium parts for machine builders by "
            "cutting, bending and die casting."
        ),
        "offers": ["steel frame fabrication"],
        "needs": ["computer vision for quality inspection of our parts"],
        "keywords": ["steel", "aluminium parts"],
        "sectors": ["C25.1"],
        "languages": ["cs", "en"],
    },
}

# The gateway journeys: laser-welding providers (one in the applicant's region), hosts in
# Austria for visits, the same topics outside Austria (never visit hosts there) and filler.
GATEWAY_SET: tuple[str, ...] = (
    "lasertec",
    "polilaser",
    "aachen",
    "lyonweld",
    "aluparts",
    "viennapv",
    "grazdata",
    "plasticscluster",
    "linzbio",
    "viennahealth",
    "salzburgtimber",
    "innsbrucksolar",
    "athenssolar",
    "warsawsoft",
    "biopack",
    "hydrogen",
    "textile",
    "agrifood",
    "medtech",
    "battery",
    "tourism",
    "aerospace",
    "wine",
    "robotics",
)
# The pages: seekers elsewhere, hosts in Saxony, and two firms whose needs are answered from
# another technology field and region (bridges).
WEB_SET: tuple[str, ...] = (
    "lasertec",
    "chemnitz",
    "silicon-saxony",
    "leipzig-packaging",
    "aluparts",
    "biopack",
    "athenssolar",
    "warsawsoft",
    "portosolar",
    "brnosteel",
)
# Six organisations of distinct topics: what `profile_payload` cycles through.
SAMPLE_SET: tuple[str, ...] = (
    "lasertec",
    "aluparts",
    "biopack",
    "warsawsoft",
    "athenssolar",
    "viennahealth",
)

# Eight small organisations of every kind around welding and casting: the learned-ranker tests
# train and serve on them (kind and text).
RANKER_ORGS = [
    ("research", "Laser welding research institute for aluminium structures."),
    ("research", "University lab on weld process monitoring and sensors."),
    ("research", "Metallurgy institute studying die cast aluminium."),
    ("sme", "Small workshop doing some welding jobs."),
    ("sme", "Family firm casting metal parts."),
    ("sme", "Riveting and joining services for local factories."),
    ("company", "Car maker with a body shop."),
    ("public", "Regional development agency."),
]

LASER_NEED = "We make aluminium parts and need help with laser-welding process monitoring"
PACKAGING_NEED = "compostable film for bioplastic food packaging"


def organisation(key: str, *, prefix: str, **overrides: Any) -> dict[str, Any]:
    """One organisation of the dataset as a ProfileCreate body, external id `<prefix>-<key>`."""
    external_id = f"{prefix}-{key}"
    data = {k: list(v) if isinstance(v, list) else v for k, v in ORGANISATIONS[key].items()}
    data |= {
        "external_id": external_id,
        "contact": {"email": f"{external_id}@example.eu", "person": "Contact Person"},
    }
    return data | overrides


def dataset(keys: tuple[str, ...], *, prefix: str) -> list[dict[str, Any]]:
    """The organisations `keys` as ProfileCreate bodies, in that order."""
    return [organisation(key, prefix=prefix) for key in keys]


# Plain organisation fields (no external id, no contact), as a client would first send them.
SAMPLES: list[dict[str, Any]] = [dict(ORGANISATIONS[key]) for key in SAMPLE_SET]


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
