"""The pages: server-rendered shells (filters from the reference tables) whose small vanilla
scripts call the public /v1 API from the browser, so pages and API clients share one contract,
one rate limit per client address and one error shape."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from gateway.feedback import remember_visitor
from gateway.web import cartogram, options
from models.intel import SMALL_REGION

HERE = Path(__file__).parent

router = APIRouter(include_in_schema=False)
router.mount("/static/web", StaticFiles(directory=HERE / "static"), name="web-static")
templates = Jinja2Templates(directory=HERE / "templates")


def _render(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    context |= {
        "kinds": options.kinds(),
        "countries": options.countries(),
        "regions": options.regions_by_country(),
        "sectors": options.sectors(),
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    remember_visitor(request, response)  # the browser's own feedback (gateway.feedback)
    return response


@router.get("/", response_class=HTMLResponse, name="web-search")
def search_page(request: Request) -> HTMLResponse:
    """Partner search: a need in words, filters, explained results."""
    return _render(request, "search.html", page="search")


@router.get("/profiles/{profile_id}", response_class=HTMLResponse, name="web-profile")
def profile_page(request: Request, profile_id: str) -> HTMLResponse:
    """One profile with its suggested partners in other regions."""
    if not profile_id.isdigit() or int(profile_id) < 1:
        return _render(request, "not_found.html", 404, page="profile", wrong=profile_id[:50])
    return _render(
        request,
        "profile.html",
        page="profile",
        profile_id=int(profile_id),
        divisions=options.division_names(),
    )


@router.get("/visits", response_class=HTMLResponse, name="web-visits")
def visits_page(request: Request) -> HTMLResponse:
    """The ambassador's planner and printable briefing."""
    return _render(request, "visits.html", page="visits")


def _render_intel(request: Request, template: str, page: str, **context: object) -> HTMLResponse:
    context |= {"page": page, "places": options.place_names()}
    return _render(request, template, 200, **context)


def _grids() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for level in cartogram.LEVEL_LENGTH:
        g = cartogram.grid(level)
        cells = [[c.code, c.col, c.row] for c in g.cells]
        out[level] = {"cols": g.cols, "rows": g.rows, "cells": cells, "outside": g.outside}
    return out


@router.get("/map", response_class=HTMLResponse, name="web-map")
def map_page(request: Request) -> HTMLResponse:
    """The competence map: which region is strong in which technology field."""
    return _render_intel(request, "map.html", "map", grids=_grids(), small_below=SMALL_REGION)


@router.get("/regions/{code}", response_class=HTMLResponse, name="web-region")
def region_page(request: Request, code: str) -> HTMLResponse:
    """The organisations of one region (or country), from the map."""
    code = code.strip().upper()
    name = options.place_names().get(code)
    if name is None:
        return _render(
            request, "not_found.html", 404, page="map", wrong=code[:50], region_wanted=True
        )
    return _render_intel(request, "region.html", "map", code=code, name=name)


@router.get("/bridges", response_class=HTMLResponse, name="web-bridges")
def bridges_page(request: Request) -> HTMLResponse:
    """Cross-sector bridges: one organisation's need answered by another's offer elsewhere."""
    return _render_intel(request, "bridges.html", "bridges")


@router.get("/clusters/{profile_id}", response_class=HTMLResponse, name="web-cluster")
def cluster_page(request: Request, profile_id: str) -> HTMLResponse:
    """A cluster's (or any profile's) potential: fields, peers, bridges, regional gaps."""
    if not profile_id.isdigit() or int(profile_id) < 1:
        return _render(request, "not_found.html", 404, page="cluster", wrong=profile_id[:50])
    return _render_intel(request, "cluster.html", "cluster", profile_id=int(profile_id))
