"""Cluster intelligence: technology fields over the profiles' competence passages, the landscape
computed from them, and the views over it (competence map, bridges, a cluster's potential),
kept current in the background by `IntelState`."""

from services.matcher.intel.bridges import bridges
from services.matcher.intel.common import fields_public
from services.matcher.intel.competence import competence_map
from services.matcher.intel.landscape import Landscape, build_landscape
from services.matcher.intel.potential import potential
from services.matcher.intel.state import IntelState

__all__ = [
    "IntelState",
    "Landscape",
    "bridges",
    "build_landscape",
    "competence_map",
    "fields_public",
    "potential",
]
