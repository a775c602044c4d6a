"""A cluster's (or any profile's) potential: its fields and its region's standing in them,
peers elsewhere, complementary partners (bridges either way) and its region's gaps that a
neighbouring region is strong in."""

from __future__ import annotations

import numpy as np

from crosslink.errors import NotFound
from models.intel import ClusterPotential, FieldStanding, Opportunity, Peer
from models.profiles import ProfilePublic
from models.reference import nuts2_of, region_name
from services.matcher.intel.bridges import bridge, own_links
from services.matcher.intel.common import org_ref, place
from services.matcher.intel.competence import table, top_members
from services.matcher.intel.landscape import Landscape

__all__ = ["potential"]

WEAK = 1.0  # a region below the whole set's share is weak in a field ...
STRONG = 1.5  # ... a neighbour this far above it, with at least STRONG_COUNT members, is strong
STRONG_COUNT = 2
PEERS = 5
COMPLEMENTARY = 5


def opportunities(landscape: Landscape, profile: ProfilePublic) -> list[Opportunity]:
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
                examples=top_members(landscape, t.rows[t.region_of_row == n], f, 3),
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
        elsewhere = np.array([place(p) != place(profile) for p in landscape.profiles])
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
    links = own_links(landscape, row)
    return ClusterPotential(
        profile=org_ref(profile),
        region=own,
        fields=standings,
        peers=peers,
        complementary=[bridge(landscape, links, i) for i in range(min(COMPLEMENTARY, len(links)))],
        opportunities=opportunities(landscape, profile),
        computed_at=landscape.computed_at,
    )
