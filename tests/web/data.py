"""A small, realistic dataset for the page tests: seekers elsewhere and hosts in Saxony."""

from __future__ import annotations

from typing import Any

PROFILES: list[dict[str, Any]] = [
    {
        "external_id": "web-lasertec",
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
        "website": "https://lasertec.example.eu/",
    },
    {
        "external_id": "web-chemnitz-materials",
        "name": "Chemnitz Lightweight Materials Institute",
        "kind": "research",
        "country": "DE",
        "region": "DED41",
        "city": "Chemnitz",
        "description": "University institute for lightweight design with aluminium and fibre "
        "composites, testing of joints and fatigue of car body parts.",
        "offers": ["fatigue testing of aluminium joints", "lightweight design consulting"],
        "keywords": ["lightweight design", "aluminium", "composites"],
        "sectors": ["M72.1"],
        "languages": ["de", "en"],
    },
    {
        "external_id": "web-silicon-saxony",
        "name": "Silicon Saxony Network",
        "kind": "cluster",
        "country": "DE",
        "region": "DED21",
        "city": "Dresden",
        "description": "Cluster organisation of semiconductor, electronics and software firms; "
        "brokers contacts to chip makers and sensor manufacturers.",
        "offers": ["introductions to semiconductor and sensor companies"],
        "keywords": ["microelectronics", "sensors", "cluster"],
        "sectors": ["C26"],
        "languages": ["de", "en"],
    },
    {
        "external_id": "web-leipzig-packaging",
        "name": "Leipzig Green Packaging",
        "kind": "sme",
        "country": "DE",
        "region": "DED51",
        "city": "Leipzig",
        "description": "Small firm producing compostable films and bioplastic food packaging "
        "from starch and agricultural residues.",
        "offers": ["compostable film production", "bioplastic packaging prototypes"],
        "keywords": ["bioplastics", "compostable film", "packaging"],
        "sectors": ["C22.2"],
        "languages": ["de"],
    },
    {
        "external_id": "web-alu-parts",
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
        "sectors": ["C25"],
        "languages": ["it", "en"],
    },
    {
        "external_id": "web-biopack",
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
        "languages": ["es", "en"],
    },
    {
        "external_id": "web-athens-solar",
        "name": "Athens Solar Lab",
        "kind": "research",
        "country": "EL",
        "region": "EL30",
        "city": "Athens",
        "description": "Research laboratory for photovoltaic modules, solar cell reliability and "
        "grid integration of solar power.",
        "offers": ["solar module reliability testing"],
        "keywords": ["photovoltaics", "solar energy"],
        "sectors": ["M72.1"],
        "languages": ["el", "en"],
    },
    {
        "external_id": "web-warsaw-software",
        "name": "Warsaw Software House",
        "kind": "sme",
        "country": "PL",
        "region": "PL91",
        "city": "Warszawa",
        "description": "Software company building computer vision and machine learning systems "
        "for quality inspection in factories.",
        "offers": ["computer vision for quality inspection", "machine learning models"],
        "needs": ["manufacturing pilot sites"],
        "keywords": ["computer vision", "machine learning"],
        "sectors": ["J62"],
        "languages": ["pl", "en"],
    },
    # Two firms whose needs are answered from another technology field and region: bridges.
    {
        "external_id": "web-porto-solar",
        "name": "Porto Solar Modules",
        "kind": "sme",
        "country": "PT",
        "region": "PT11",
        "city": "Porto",
        "description": "Assembles photovoltaic modules and solar panels for rooftops; tests solar "
        "cell efficiency.",
        "offers": ["photovoltaic rooftop modules"],
        "needs": ["laser welding process monitoring for solar cell connectors"],
        "keywords": ["photovoltaics", "solar modules"],
        "sectors": ["C27.9"],
        "languages": ["pt", "en"],
    },
    {
        "external_id": "web-brno-steel",
        "name": "Brno Steel Frames",
        "kind": "sme",
        "country": "CZ",
        "region": "CZ06",
        "city": "Brno",
        "description": "Fabricates steel frames and aluminium parts for machine builders by "
        "cutting, bending and die casting.",
        "offers": ["steel frame fabrication"],
        "needs": ["computer vision for quality inspection of our parts"],
        "keywords": ["steel", "aluminium parts"],
        "sectors": ["C25.1"],
        "languages": ["cs", "en"],
    },
]

LASER_NEED = "We make aluminium parts and need help with laser-welding process monitoring"
PACKAGING_NEED = "compostable film for bioplastic food packaging"
