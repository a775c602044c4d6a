"""Cross-sector bridges: one organisation's need answered by another's offer, across fields and
regions; every need is compared with the offers of the few fields closest to it (IVF)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from models.intel import Bridge, BridgesPublic, FieldPair
from models.matching import MatchedPassage
from services.matcher.intel.common import in_region, org_ref, place
from services.matcher.intel.landscape import Landscape
from services.matcher.text import Passage

__all__ = ["Links", "all_links", "bridge", "bridges", "own_links"]

MIN_SIMILARITY = 0.5  # need-offer cosine below which no bridge is drawn
OFFERS_PER_NEED = 32


@dataclass
class Links:
    """Bridge candidates as arrays, one per (seeker, provider): the closest need-offer pair,
    strongest first (ties by the profiles' ids)."""

    need: np.ndarray
    offer: np.ndarray
    seeker: np.ndarray  # profile rows
    provider: np.ndarray
    similarity: np.ndarray

    def __len__(self) -> int:
        return len(self.need)

    def take(self, keep: np.ndarray) -> Links:
        return Links(*(a[keep] for a in self.arrays()))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.need, self.offer, self.seeker, self.provider, self.similarity


def places(landscape: Landscape) -> np.ndarray:
    if ("places",) not in landscape.cache:
        landscape.cache["places",] = np.array([place(p) for p in landscape.profiles], dtype=str)
    places: np.ndarray = landscape.cache["places",]
    return places


def strongest_per_pair(landscape: Landscape, links: Links) -> Links:
    ids = np.array([p.id for p in landscape.profiles], dtype=np.int64)
    order = np.lexsort((ids[links.provider], ids[links.seeker], -links.similarity))
    links = links.take(order)
    _, first = np.unique(links.seeker * len(ids) + links.provider, return_index=True)
    return links.take(np.sort(first))


def all_links(landscape: Landscape) -> Links:
    """Every need's closest offers (IVF over the fields) from another field and place."""
    if ("links",) in landscape.cache:
        cached: Links = landscape.cache["links",]
        return cached
    none = np.zeros(0, dtype=np.int64)
    links = Links(none, none, none, none, np.zeros(0, dtype=np.float32))
    if landscape.offer_index is not None and len(landscape.needs):
        k = min(OFFERS_PER_NEED, len(landscape.offers))
        sims, offers = landscape.offer_index.search(landscape.need_vectors, k)
        need = np.repeat(np.arange(len(landscape.needs), dtype=np.int64), k)
        offer, sim = offers.ravel(), sims.ravel()
        hit = (offer >= 0) & (sim >= MIN_SIMILARITY)
        need, offer, sim = need[hit], offer[hit], sim[hit]
        need_rows = np.array([r for r, _ in landscape.needs], dtype=np.int64)
        offer_rows = np.array([r for r, _ in landscape.offers], dtype=np.int64)
        links = Links(need, offer, need_rows[need], offer_rows[offer], sim)
        links = links.take(bridgeable_mask(landscape, links))
        links = strongest_per_pair(landscape, links)
    landscape.cache["links",] = links
    return links


def bridgeable_mask(landscape: Landscape, links: Links) -> np.ndarray:
    fa, fb = landscape.primary[links.seeker], landscape.primary[links.provider]
    where = places(landscape)
    return (
        (links.seeker != links.provider)
        & (fa >= 0)
        & (fb >= 0)
        & (fa != fb)
        & (where[links.seeker] != where[links.provider])
    )


def field_distance(landscape: Landscape, fa: int, fb: int) -> float:
    c = landscape.model.centroids
    return round(float(1.0 - c[fa] @ c[fb]), 4)


def matched(passage: Passage) -> MatchedPassage:
    return MatchedPassage(field=passage.field, index=passage.index, text=passage.text)


def bridge(landscape: Landscape, links: Links, i: int) -> Bridge:
    a, need = landscape.needs[int(links.need[i])]
    b, offer = landscape.offers[int(links.offer[i])]
    seeker, provider = landscape.profiles[a], landscape.profiles[b]
    fa, fb = int(landscape.primary[a]), int(landscape.primary[b])
    return Bridge(
        seeker=org_ref(seeker, landscape.weights[a, fa]),
        provider=org_ref(provider, landscape.weights[b, fb]),
        seeker_field=landscape.field_id(fa),
        provider_field=landscape.field_id(fb),
        field_distance=field_distance(landscape, fa, fb),
        similarity=round(float(links.similarity[i]), 4),
        need=matched(need),
        offer=matched(offer),
        reason=(
            f'{seeker.name} ({place(seeker)}, field "{landscape.label(fa)}") needs '
            f'"{need.text}"; {provider.name} ({place(provider)}, field '
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
    links = all_links(landscape)
    keep = np.ones(len(links), dtype=bool)
    if from_region:
        inside = np.array([in_region(p, from_region) for p in landscape.profiles], dtype=bool)
        keep &= inside[links.seeker]
    if to_region:
        inside = np.array([in_region(p, to_region) for p in landscape.profiles], dtype=bool)
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
            field_distance=field_distance(landscape, fa, fb),
            bridges=len(sims),
            mean_similarity=round(float(np.mean(sims)), 4),
        )
        for (fa, fb), sims in grouped.items()
    ]
    field_pairs.sort(
        key=lambda p: (-p.bridges, -p.mean_similarity, p.seeker_field, p.provider_field)
    )
    data = [bridge(landscape, links, i) for i in range(min(limit, len(links)))]
    return BridgesPublic(
        data=data, count=len(data), field_pairs=field_pairs, computed_at=landscape.computed_at
    )


def own_links(landscape: Landscape, row: int) -> Links:
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
    links = Links(need, offer, need_rows[need], offer_rows[offer], sim)
    return strongest_per_pair(landscape, links.take(bridgeable_mask(landscape, links)))
