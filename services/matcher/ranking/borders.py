"""Which European countries share a land border (ISO 3166 alpha-2, as profiles carry them; the
United Kingdom is `GB`, Greece `GR`): the `neighbouring` relation of the ranking features."""

from __future__ import annotations

__all__ = ["neighbouring"]

_PAIRS = """
AT-CH AT-CZ AT-DE AT-HU AT-IT AT-LI AT-SI AT-SK BE-DE BE-FR BE-LU BE-NL BG-GR BG-MK BG-RO BG-RS
BG-TR CH-DE CH-FR CH-IT CH-LI CZ-DE CZ-PL CZ-SK DE-DK DE-FR DE-LU DE-NL DE-PL EE-LV EE-RU
ES-AD ES-FR ES-GI ES-PT FI-NO FI-RU FI-SE FR-AD FR-IT FR-LU FR-MC GB-IE GR-AL GR-MK GR-TR HR-BA
HR-HU HR-ME HR-RS HR-SI HU-RO HU-RS HU-SK HU-UA IT-SM IT-SI IT-VA LT-BY LT-LV LT-PL LT-RU LV-BY
LV-RU MD-RO MD-UA ME-AL ME-BA ME-RS MK-AL MK-RS NO-RU NO-SE PL-BY PL-RU PL-SK PL-UA RO-RS RO-UA
RS-BA SK-UA AL-XK ME-XK MK-XK RS-XK
"""

_BORDERS = frozenset(
    frozenset(pair.split("-")) for pair in _PAIRS.split() if len(pair.split("-")) == 2
)


def neighbouring(a: str | None, b: str | None) -> bool:
    """Whether two different countries share a land border."""
    return bool(a and b and a != b and frozenset((a, b)) in _BORDERS)
