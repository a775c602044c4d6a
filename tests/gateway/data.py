"""A small, hand-written dataset for the gateway journeys: known organisations in known places."""

from __future__ import annotations

from typing import Any


def _p(
    ext: str, name: str, kind: str, region: str, city: str, description: str, **kw: Any
) -> dict[str, Any]:
    return {
        "external_id": ext,
        "name": name,
        "kind": kind,
        "country": region[:2],
        "region": region,
        "city": city,
        "description": description,
        "contact": {"email": f"{ext}@example.eu", "person": "Contact Person"},
        **kw,
    }


PROFILES: list[dict[str, Any]] = [
    # Voucher journey: laser welding knowledge providers, one in the applicant's own region.
    _p(
        "gw-lasertec",
        "Lasertec Dresden",
        "research",
        "DED21",
        "Dresden",
        "Applied research institute for laser welding, laser cutting and in-process monitoring "
        "of welding processes for aluminium and steel parts.",
        offers=["laser welding process monitoring", "weld seam inspection with cameras"],
        keywords=["laser welding", "process monitoring"],
        sectors=["M72.1"],
    ),
    _p(
        "gw-polilaser",
        "Politecnico Laser Lab Milano",
        "research",
        "ITC4C",
        "Milano",
        "University laboratory for laser welding of aluminium and monitoring of the weld pool "
        "with high-speed cameras.",
        offers=["laser welding process monitoring"],
        keywords=["laser welding"],
        sectors=["M72.1"],
    ),
    _p(
        "gw-aachen",
        "Aachen Joining Institute",
        "research",
        "DEA2",
        "Aachen",
        "Research on joining technology: laser beam welding, brazing and quality assurance of "
        "welded joints in car bodies.",
        offers=["laser beam welding trials", "weld quality assurance"],
        sectors=["M72.1"],
    ),
    _p(
        "gw-lyonweld",
        "Lyon Laser Welding Services",
        "sme",
        "FRK26",
        "Lyon",
        "Job shop offering laser welding and laser process monitoring services to the "
        "automotive supply chain.",
        offers=["laser welding services"],
        sectors=["C25"],
    ),
    _p(
        "gw-aluparts",
        "Alu Parts Lombardia",
        "sme",
        "ITC4C",
        "Milano",
        "We make aluminium parts for the automotive industry by die casting and machining.",
        offers=["aluminium die casting", "CNC machining"],
        needs=["help with laser-welding process monitoring"],
        sectors=["C25"],
    ),
    # Visit journey: hosts in Austria.
    _p(
        "gw-viennapv",
        "Vienna Photovoltaics Institute",
        "research",
        "AT130",
        "Wien",
        "Research institute testing solar modules and photovoltaic systems outdoors and in the "
        "laboratory; field trials of new module types.",
        offers=["solar module testing", "photovoltaic field trials"],
        sectors=["M72.1"],
    ),
    _p(
        "gw-grazdata",
        "Graz Data Factory",
        "sme",
        "AT221",
        "Graz",
        "Software company building machine-learning systems for predictive maintenance of "
        "production lines and machine tools.",
        offers=["predictive maintenance software", "machine condition monitoring"],
        sectors=["J62"],
    ),
    _p(
        "gw-plasticscluster",
        "Upper Austria Plastics Cluster",
        "cluster",
        "AT312",
        "Linz",
        "Cluster organisation of plastics processors developing compostable bioplastic "
        "packaging films with food companies.",
        offers=["bioplastic packaging film network", "compostable film pilot projects"],
        sectors=["C22.2"],
    ),
    _p(
        "gw-linzbio",
        "Linz Biopolymer Institute",
        "research",
        "AT312",
        "Linz",
        "University institute for biopolymers: compostable films, bio-based packaging "
        "materials and their testing.",
        offers=["compostable packaging film research"],
        sectors=["M72.1"],
    ),
    _p(
        "gw-viennahealth",
        "Wien Health Agency",
        "public",
        "AT130",
        "Wien",
        "Public agency running hospitals and health services for the city of Vienna.",
        offers=["hospital test beds"],
        sectors=["O84"],
    ),
    _p(
        "gw-salzburgtimber",
        "Salzburg Timber Tech",
        "sme",
        "AT323",
        "Salzburg",
        "Manufacturer of prefabricated timber houses and wooden construction elements.",
        offers=["timber construction"],
        sectors=["C16"],
    ),
    _p(
        "gw-innsbrucksolar",
        "Innsbruck Alpine Solar",
        "sme",
        "AT332",
        "Innsbruck",
        "Company installing solar power plants in the Alps and testing solar modules under "
        "snow load and cold.",
        offers=["solar installation", "solar module testing in cold climates"],
        sectors=["F43"],
    ),
    # The same topics outside Austria: must never be visit hosts for target AT.
    _p(
        "gw-athenssolar",
        "Athens Solar Lab",
        "research",
        "EL303",
        "Athens",
        "University laboratory for photovoltaic materials and solar module testing.",
        offers=["solar module testing"],
        sectors=["M72.1"],
    ),
    _p(
        "gw-warsawsoft",
        "Warsaw Software House",
        "sme",
        "PL911",
        "Warszawa",
        "Software company building machine-learning systems for predictive maintenance in "
        "factories.",
        offers=["predictive maintenance software"],
        sectors=["J62"],
    ),
    _p(
        "gw-biopack",
        "BioPack Cluster Catalunya",
        "cluster",
        "ES511",
        "Barcelona",
        "Cluster organisation of food and plastics companies developing bioplastic packaging "
        "from agricultural residues.",
        offers=["bioplastics pilot plant access"],
        sectors=["C22.2"],
    ),
    # Filler: other topics and regions.
    _p(
        "gw-hydrogen",
        "North Sea Hydrogen Valley",
        "cluster",
        "NL11",
        "Groningen",
        "Cluster of companies producing green hydrogen with electrolysers and building "
        "hydrogen pipelines.",
        sectors=["D35"],
    ),
    _p(
        "gw-textile",
        "Porto Smart Textiles",
        "sme",
        "PT11A",
        "Porto",
        "Producer of technical textiles with integrated sensors for sportswear.",
        sectors=["C13"],
    ),
    _p(
        "gw-agrifood",
        "Wageningen Food Lab",
        "research",
        "NL22",
        "Wageningen",
        "Research on food processing, plant proteins and sustainable agriculture.",
        sectors=["M72.1"],
    ),
    _p(
        "gw-medtech",
        "Leuven Medical Devices",
        "company",
        "BE24",
        "Leuven",
        "Large manufacturer of medical imaging devices and surgical robots.",
        sectors=["C26.6"],
    ),
    _p(
        "gw-battery",
        "Skelleftea Battery Works",
        "company",
        "SE33",
        "Skelleftea",
        "Gigafactory producing lithium-ion battery cells for electric vehicles.",
        sectors=["C27.2"],
    ),
    _p(
        "gw-tourism",
        "Dalmatia Tourism Board",
        "public",
        "HR03",
        "Split",
        "Regional tourism agency promoting sustainable tourism on the Adriatic coast.",
        sectors=["N79"],
    ),
    _p(
        "gw-aerospace",
        "Toulouse Aero Composites",
        "sme",
        "FRJ23",
        "Toulouse",
        "Supplier of carbon-fibre composite parts for aircraft and drones.",
        sectors=["C30.3"],
    ),
    _p(
        "gw-wine",
        "Bordeaux Wine Tech",
        "sme",
        "FRI12",
        "Bordeaux",
        "Sensors and software for vineyards and wine cellars.",
        sectors=["C11.0"],
    ),
    _p(
        "gw-robotics",
        "Odense Robotics Cluster",
        "cluster",
        "DK03",
        "Odense",
        "Cluster of collaborative robot makers and automation integrators.",
        sectors=["C28"],
    ),
]

FIXTURE_PROFILES = PROFILES
