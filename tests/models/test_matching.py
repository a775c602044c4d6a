"""The match options: one model for the gateway's and the matcher's routes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.matching import FILTER_FIELDS, MatchOptions, MatchQuery, MatchRequest


def test_query_filters_are_repeatable_or_comma_separated() -> None:
    comma = MatchQuery.model_validate({"kinds": ["research,sme"], "regions": "DED2, at"})
    repeated = MatchQuery.model_validate({"kinds": ["research", "sme"], "regions": ["DED2", "AT"]})
    assert comma.options() == repeated.options()
    assert [k.value for k in comma.kinds] == ["research", "sme"] and comma.regions == ["DED2", "AT"]


def test_query_round_trips_through_its_parameters() -> None:
    options = MatchOptions.model_validate(
        {
            "filters": {"kinds": ["sme"], "countries": ["DE", "FR"], "sectors": ["C25"]},
            "limit": 7,
            "offset": 3,
            "include_own_region": True,
        }
    )
    params = MatchQuery.params(options)
    assert ("include_own_region", "true") in params and ("countries", "FR") in params
    assert all(name != "include_known_partners" for name, _ in params)
    by_name: dict[str, object] = {}
    for name, value in params:
        if name in FILTER_FIELDS:
            by_name.setdefault(name, []).append(value)  # type: ignore[union-attr]
        else:
            by_name[name] = value
    assert MatchQuery.model_validate(by_name).options() == options


def test_request_and_query_share_bounds_and_defaults() -> None:
    request = MatchRequest(text="laser welding")
    assert request.options() == MatchQuery().options() == MatchOptions()
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": 1001}, {"kinds": "sme,robot"}):
        with pytest.raises(ValidationError):
            MatchQuery.model_validate(bad)
    with pytest.raises(ValidationError):
        MatchRequest(text="x", seeker_id=2**31)
