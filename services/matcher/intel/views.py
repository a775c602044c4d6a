"""Cluster intelligence over a `Landscape`: the competence map (location quotients), cross-sector
bridges (one's need answered by another's offer, across fields and regions) and a cluster's
potential. Pure computation, no HTTP; results are cached on the landscape they came from."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from crosslink.errors import InvalidInput, NotFound
from models.intel import (
    Bridge,
    BridgesPublic,
    ClusterPotential,
    CompetenceCell,
    CompetenceMap,
    FieldPair,
    FieldsPublic,
    FieldStanding,
    Level,
    Opportunity,
    OrgRef,
    Peer,
    TechField,
)
from models.matching import MatchedPassage
from models.profiles import Kind, ProfilePublic
from models.reference import nuts2_of, region_name
from services.matcher.encoder import Passage
from services.matcher.fields import Landscape

TOP_ORGS = 5
MIN_SIMILARITY = 0.5  # need-offer cosine below which no bridge is drawn
OFFERS_PER_NEED = 32
WEAK = 1.0  # a region below the whole set's share is weak in a field ...
STRONG = 1.5  # ... a neighbour this far above it, with at least STRONG_COUNT members, is strong
STRONG_COUNT = 2
PEERS = 5
COMPLEMENTARY = 5


def fields_public(landscape: Landscape) -> FieldsPublic:
    sizes = landscape.members.sum(axis=0)
    data = [
        TechField(
            id=landscape.field_id(i),
            label=landscape.label(i),
            terms=landscape.labels[i],
            size=int(sizes[i]),
            passages=int(landscape.field_passages[i]),
        )
        for i in range(len(landscape.model.numbers))
    ]
    return FieldsPublic(
        data=data, count=len(data), profiles=len(landscape.profiles), seq=landscape.seq
    )


def field_index(landscape: Landscape, field_id: str) -> int:
    i = landscape.index_of(field_id.strip().upper())
    if i is None:
        known = ", ".join(landscape.model.ids[:10]) or "none yet"
        raise InvalidInput(
            f"field '{field_id}' is not a technology field; expected one of {known} "
            "(see GET /fields)",
            details={"field": field_id, "accepted": landscape.model.ids},
        )
    return i


def org_ref(profile: ProfilePublic, weight: float = 1.0) -> OrgRef:
    return OrgRef(
        id=profile.id,
        name=profile.name,
        kind=profile.kind,
        country=profile.country,
        region=profile.region,
        weight=round(float(weight), 4),
    )


def region_at(profile: ProfilePublic, level: Level) -> str | None:
    """The profile's region at `level`, None when its region is not that precise."""
    if level == "country":
        return profile.country
    size = 3 if level == "nuts1" else 4
    region = profile.region or ""
    return region[:size] if len(region) >= size else None


def _in_region(profile: ProfilePublic, prefix: str) -> bool:
    if len(prefix) == 2:
        return profile.country == prefix
    return (profile.region or "").startswith(prefix)


def _place(profile: ProfilePublic) -> str:
    """Where a profile is, for telling regions apart: its NUTS-2 region, else its country."""
    return nuts2_of(profile.region) or profile.country


@dataclass
class Table:
    """Organisations per region x field at one level, and the location quotients."""

    regions: list[str]
    rows: np.ndarray  # profile rows on the map
    region_of_row: np.ndarray  # index into regions, per entry of rows
    counts: np.ndarray  # (regions, fields)
    region_total: np.ndarray
    field_total: np.ndarray
    total: int
    quotient: np.ndarray  # (regions, fields)

    def position(self, region: str) -> int | None:
        i = int(np.searchsorted(self.regions, region))
        return i if i < len(self.regions) and self.regions[i] == region else None


def table(landscape: Landscape, level: Level, kind: Kind | None = None) -> Table:
    key = ("table", level, kind)
    if key in landscape.cache:
        cached: Table = landscape.cache[key]
        return cached
    codes = [region_at(p, level) for p in landscape.profiles]
    rows = np.array(
        [
            i
            for i, p in enumerate(landscape.profiles)
            if codes[i] and (kind is None or p.kind == kind)
        ],
        dtype=np.int64,
    )
    regions, inverse = np.unique(np.array([codes[i] for i in rows], dtype=str), return_inverse=True)
    k = len(landscape.model.numbers)
    members = landscape.members[rows].astype(np.int64)
    counts = np.zeros((len(regions), k), dtype=np.int64)
    np.add.at(counts, inverse, members)
    region_total = np.bincount(inverse, minlength=len(regions))
    field_total = counts.sum(axis=0)
    total = len(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / np.maximum(region_total, 1)[:, None]
        overall = field_total / max(total, 1)
        quotient = np.where(overall > 0, share / np.where(overall > 0, overall, 1), 0.0)
    result = Table(
        regions=[str(r) for r in regions],
        rows=rows,
        region_of_row=inverse.astype(np.int64),
        counts=counts,
        region_total=region_total,
        field_total=field_total,
        total=total,
        quotient=quotient,
    )
    landscape.cache[key] = result
    return result


def _top(landscape: Landscape, rows: np.ndarray, f: int, n: int = TOP_ORGS) -> list[OrgRef]:
    """The members of field f among `rows`, most specialised first (then most partners, id)."""
    members = rows[landscape.members[rows, f]]
    ranked = sorted(
        members,
        key=lambda r: (
            -float(landscape.weights[r, f]),
            -len(landscape.profiles[r].partners),
            landscape.profiles[r].id,
        ),
    )
    return [org_ref(landscape.profiles[r], landscape.weights[r, f]) for r in ranked[:n]]


def competence_map(
    landscape: Landscape, *, level: Level, field: str | None = None, kind: Kind | None = None
) -> CompetenceMap:
    """Every region x field with members: counts, location quotient, top organisations."""
    wanted = field_index(landscape, field) if field else None
    t = table(landscape, level, kind)
    cells = []
    for r, region in enumerate(t.regions):
        region_rows = t.rows[t.region_of_row == r]
        for f in range(t.counts.shape[1]) if wanted is None else [wanted]:
            if not t.counts[r, f]:
                continue
            cells.append(
                CompetenceCell(
                    region=region,
                    region_name=region_name(region) if level != "country" else None,
                    field=landscape.field_id(f),
                    field_label=landscape.label(f),
                    count=int(t.counts[r, f]),
                    region_total=int(t.region_total[r]),
                    field_total=int(t.field_total[f]),
                    total=t.total,
                    specialisation=round(float(t.quotient[r, f]), 4),
                    top=_top(landscape, region_rows, f),
                )
            )
    return CompetenceMap(level=level, kind=kind, total=t.total, data=cells, count=len(cells))


# --- bridges ----------------------------------------------------------------------------------


@dataclass
class _Links:
    """Bridge candidates as arrays, one per (seeker, provider): the closest need-offer pair,
    strongest first (ties by the profiles' ids)."""

    need: np.ndarray
    offer: np.ndarray
    seeker: np.ndarray  # profile rows
    provider: np.ndarray
    similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.need)

    def take(self, keep: np.ndarray) -> _Links:
        return _Links(*(a[keep] for a in self.arrays()))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.need, self.offer, self.seeker, self.provider, self.similarity


def _places(landscape: Landscape) -> np.ndarray:
    if ("places",) not in landscape.cache:
        landscape.cache["places",] = np.array([_place(p) for p in landscape.profiles], dtype=str)
    places: np.ndarray = landscape.cache["places",]
    return places


def _strongest_per_pair(landscape: Landscape, links: _Links) -> _Links:
    ids = np.array([p.id for p in landscape.profiles], dtype=np.int64)
    order = np.lexsort((ids[links.provider], ids[links.seeker], -links.similarity))
    links = links.take(order)
    _, first = np.unique(links.seeker * len(ids) + links.provider, return_index=True)
    return links.take(np.sort(first))


def _links(landscape: Landscape) -> _Links:
    """Every need's closest offers (IVF over the fields) from another field and place."""
    if ("links",) in landscape.cache:
        cached: _Links = landscape.cache["links",]
        return cached
    none = np.zeros(0, dtype=np.int64)
    links = _Links(none, none, none, none, np.zeros(0, dtype=np.float32))
    if landscape.offer_index is not None and len(landscape.needs):
        k = min(OFFERS_PER_NEED, len(landscape.offers))
        sims, offers = landscape.offer_index.search(landscape.need_vectors, k)
        need = np.repeat(np.arange(len(landscape.needs), dtype=np.int64), k)
        offer, sim = offers.ravel(), sims.ravel()
        hit = (offer >= 0) & (sim >= MIN_SIMILARITY)
        need, offer, sim = need[hit], offer[hit], sim[hit]
        need_rows = np.array([r for r, _ in landscape.needs], dtype=np.int64)
        offer_rows = np.array([r for r, _ in landscape.offers], dtype=np.int64)
        links = _Links(need, offer, need_rows[need], offer_rows[offer], sim)
        links = links.take(_bridgeable_mask(landscape, links))
        links = _strongest_per_pair(landscape, links)
    landscape.cache["links",] = links
    return links


def _bridgeable_mask(landscape: Landscape, links: _Links) -> np.ndarray:
    fa, fb = landscape.primary[links.seeker], landscape.primary[links.provider]
    places = _places(landscape)
    return (
        (links.seeker != links.provider)
        & (fa >= 0)
        & (fb >= 0)
        & (fa != fb)
        & (places[links.seeker] != places[links.provider])
    )


def _distance(landscape: Landscape, fa: int, fb: int) -> float:
    c = landscape.model.centroids
    return round(float(1.0 - c[fa] @ c[fb]), 4)


def _matched(passage: Passage) -> MatchedPassage:
    return MatchedPassage(field=passage.field, index=passage.index, text=passage.text)


def _bridge(landscape: Landscape, links: _Links, i: int) -> Bridge:
    a, need = landscape.needs[int(links.need[i])]
    b, offer = landscape.offers[int(links.offer[i])]
    seeker, provider = landscape.profiles[a], landscape.profiles[b]
    fa, fb = int(landscape.primary[a]), int(landscape.primary[b])
    return Bridge(
        seeker=org_ref(seeker, landscape.weights[a, fa]),
        provider=org_ref(provider, landscape.weights[b, fb]),
        seeker_field=landscape.field_id(fa),
        provider_field=landscape.field_id(fb),
        field_distance=_distance(landscape, fa, fb),
        similarity=round(float(links.similarity[i]), 4),
        need=_matched(need),
        offer=_matched(offer),
        reason=(
            f'{seeker.name} ({_place(seeker)}, field "{landscape.label(fa)}") needs '
            f'"{need.text}"; {provider.name} ({_place(provider)}, field '
            f'"{landscape.label(fb)}") offers "{offer.text}".'
        ),
    )


def bridges(
    landscape: Landscape,
    *,
    from_region: str | None = None,
    to_region: str | None = None,
    min_distance: float = 0.0,
    limit: int = 20,
) -> BridgesPublic:
    """Organisation pairs whose need and offer meet across fields and regions, strongest first;
    and those pairs aggregated by pair of fields."""
    links = _links(landscape)
    keep = np.ones(len(links), dtype=bool)
    if from_region:
        inside = np.array([_in_region(p, from_region) for p in landscape.profiles], dtype=bool)
        keep &= inside[links.seeker]
    if to_region:
        inside = np.array([_in_region(p, to_region) for p in landscape.profiles], dtype=bool)
        keep &= inside[links.provider]
    fa, fb = landscape.primary[links.seeker], landscape.primary[links.provider]
    centroids = landscape.model.centroids
    distances = 1.0 - np.einsum("ij,ij->i", centroids[fa], centroids[fb])
    keep &= distances >= min_distance - 1e-9
    links = links.take(keep)
    grouped: dict[tuple[int, int], list[float]] = defaultdict(list)
    for a, b, sim in zip(
        landscape.primary[links.seeker],
        landscape.primary[links.provider],
        links.similarity,
        strict=True,
    ):
        grouped[int(a), int(b)].append(float(sim))
    field_pairs = [
        FieldPair(
            seeker_field=landscape.field_id(fa),
            seeker_label=landscape.label(fa),
            provider_field=landscape.field_id(fb),
            provider_label=landscape.label(fb),
            field_distance=_distance(landscape, fa, fb),
            bridges=len(sims),
            mean_similarity=round(float(np.mean(sims)), 4),
        )
        for (fa, fb), sims in grouped.items()
    ]
    field_pairs.sort(
        key=lambda p: (-p.bridges, -p.mean_similarity, p.seeker_field, p.provider_field)
    )
    data = [_bridge(landscape, links, i) for i in range(min(limit, len(links)))]
    return BridgesPublic(data=data, count=len(data), field_pairs=field_pairs)


# --- a cluster's potential ----------------------------------------------------------------------


def _own_links(landscape: Landscape, row: int) -> _Links:
    """Exact bridges with the profile on either side (its needs, and others' needs it answers)."""
    need_rows = np.array([r for r, _ in landscape.needs], dtype=np.int64)
    offer_rows = np.array([r for r, _ in landscape.offers], dtype=np.int64)
    needs, offers = np.flatnonzero(need_rows == row), np.flatnonzero(offer_rows == row)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if len(needs) and len(offer_rows):
        sims = landscape.need_vectors[needs] @ landscape.offer_vectors.T
        i, j = np.nonzero(sims >= MIN_SIMILARITY)
        parts.append((needs[i], j, sims[i, j]))
    if len(offers) and len(need_rows):
        sims = landscape.offer_vectors[offers] @ landscape.need_vectors.T
        i, j = np.nonzero(sims >= MIN_SIMILARITY)
        parts.append((j, offers[i], sims[i, j]))
    none = np.zeros(0, dtype=np.int64)
    need = np.concatenate([p[0] for p in parts] + [none]).astype(np.int64)
    offer = np.concatenate([p[1] for p in parts] + [none]).astype(np.int64)
    sim = np.concatenate([p[2] for p in parts] + [np.zeros(0, np.float32)])
    links = _Links(need, offer, need_rows[need], offer_rows[offer], sim)
    return _strongest_per_pair(landscape, links.take(_bridgeable_mask(landscape, links)))


def _opportunities(landscape: Landscape, profile: ProfilePublic) -> list[Opportunity]:
    own = nuts2_of(profile.region)
    if own is None:
        return []
    t = table(landscape, "nuts2")
    r = t.position(own)
    if r is None:
        return []
    out = []
    for f in range(t.counts.shape[1]):
        if t.quotient[r, f] >= WEAK:
            continue
        # The same NUTS-1 region first, then the rest of the country; the strongest of them.
        neighbours = [
            (region[:3] != own[:3], -float(t.quotient[n, f]), n)
            for n, region in enumerate(t.regions)
            if n != r
            and region[:2] == own[:2]
            and t.counts[n, f] >= STRONG_COUNT
            and t.quotient[n, f] >= STRONG
        ]
        if not neighbours:
            continue
        farther, negative, n = min(neighbours)
        quotient, scope = -negative, "country" if farther else "nuts1"
        out.append(
            Opportunity(
                field=landscape.field_id(f),
                label=landscape.label(f),
                region=own,
                specialisation=round(float(t.quotient[r, f]), 4),
                count=int(t.counts[r, f]),
                neighbour=t.regions[n],
                neighbour_name=region_name(t.regions[n]),
                scope=scope,
                neighbour_specialisation=round(quotient, 4),
                neighbour_count=int(t.counts[n, f]),
                examples=_top(landscape, t.rows[t.region_of_row == n], f, 3),
            )
        )
    out.sort(key=lambda o: (o.scope != "nuts1", -o.neighbour_specialisation, o.field))
    return out


def potential(landscape: Landscape, profile_id: int) -> ClusterPotential:
    """A cluster's (or any profile's) fields, peers elsewhere, bridges and regional gaps."""
    row = landscape.row_of.get(profile_id)
    if row is None:
        raise NotFound(f"profile {profile_id} not found; it may not be synced yet")
    profile = landscape.profiles[row]
    own = nuts2_of(profile.region)
    t = table(landscape, "nuts2")
    r = t.position(own) if own else None
    standings = []
    for f in np.argsort(-landscape.weights[row], kind="stable"):
        weight = float(landscape.weights[row, f])
        if weight <= 0:
            break
        standings.append(
            FieldStanding(
                field=landscape.field_id(int(f)),
                label=landscape.label(int(f)),
                weight=round(weight, 4),
                region=own,
                count=int(t.counts[r, f]) if r is not None else 0,
                specialisation=round(float(t.quotient[r, f]), 4) if r is not None else None,
            )
        )
    members = landscape.members
    peers: list[Peer] = []
    if landscape.vectors[row].any():
        sims = landscape.vectors @ landscape.vectors[row]
        same_kind = np.array([p.kind == profile.kind for p in landscape.profiles])
        elsewhere = np.array([_place(p) != _place(profile) for p in landscape.profiles])
        candidates = np.flatnonzero(same_kind & elsewhere & (sims > 0))
        ranked = candidates[np.lexsort((candidates, -sims[candidates]))][:PEERS]
        for c in ranked:
            shared = np.flatnonzero(members[row] & members[c])
            peers.append(
                Peer(
                    profile=org_ref(landscape.profiles[c]),
                    similarity=round(float(sims[c]), 4),
                    shared_fields=[landscape.field_id(int(f)) for f in shared],
                )
            )
    links = _own_links(landscape, row)
    return ClusterPotential(
        profile=org_ref(profile),
        region=own,
        fields=standings,
        peers=peers,
        complementary=[_bridge(landscape, links, i) for i in range(min(COMPLEMENTARY, len(links)))],
        opportunities=_opportunities(landscape, profile),
    )
