"""The cluster-intelligence pages in headless Chromium against the real stack: the competence map,
cross-sector bridges and a profile's potential, filled, empty and failing."""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import Stack

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def intel_computed(stack: Stack) -> None:
    """The matcher computes the intelligence in the background once it is ready (503 before)."""
    deadline = time.monotonic() + 60
    while True:
        response = httpx.get(f"{stack.url}/v1/fields", timeout=30)
        # computed on every profile of the stack, not on a first partial state
        if response.status_code == 200 and response.json()["profiles"] >= len(stack.profiles):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the cluster intelligence was not computed within 60 s")
        time.sleep(0.05)


def api(stack: Stack, path: str, **params: Any) -> Any:
    response = httpx.get(f"{stack.url}{path}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def lasertec_cell(stack: Stack) -> dict[str, Any]:
    """The map cell of Dresden whose top organisations include Lasertec Dresden."""
    cells = api(stack, "/v1/map/competences", level="nuts2")["data"]
    return next(c for c in cells if c["region"] == "DED2" and "Lasertec Dresden" in str(c["top"]))


def test_competence_map_lists_regions_fields_and_organisations(
    page: Any, stack: Stack, screenshot: Any
) -> None:
    page.goto("/map")
    dresden = page.locator('tbody[data-region="DED2"]')
    expect(dresden.locator("tr.group")).to_have_text("Dresden (DED2): 2 organisations")
    cell = lasertec_cell(stack)
    row = dresden.locator(f'tr[data-field="{cell["field"]}"]')
    lasertec = stack.profiles["web-lasertec"]
    link = row.get_by_role("link", name="Lasertec Dresden")
    expect(link).to_have_attribute("href", f"/profiles/{lasertec['id']}")
    # The index shown is the arithmetic of the counts shown.
    expect(row.locator("td").first).to_have_text(f"{cell['count']} of {cell['region_total']}")
    quotient = (cell["count"] / cell["region_total"]) / (cell["field_total"] / cell["total"])
    expect(row.locator(".lq-value")).to_have_text(f"{quotient:.2f}")
    # No organisation of Lombardy is listed under Dresden.
    assert "Alu Parts Lombardia" not in dresden.inner_text()
    expect(page.locator('tbody[data-region="ITC4"]')).to_contain_text("Alu Parts Lombardia")
    # The CSV export is the same map.
    href = page.locator("#csv-link").get_attribute("href")
    assert "format=csv" in href and "level=nuts2" in href
    rows = list(csv.DictReader(io.StringIO(page.request.get(href).text())))
    dresden_rows = [r for r in rows if r["region"] == "DED2"]
    assert {r["field"] for r in dresden_rows} == set(
        dresden.locator("tr[data-field]").evaluate_all("rs => rs.map(r => r.dataset.field)")
    )
    screenshot(page, "map")

    # One field: a row per region, the most specialised first; the choice is in the address.
    page.get_by_label("Technology field", exact=True).select_option(cell["field"])
    page.get_by_role("button", name="Show the map").click()
    expect(page).to_have_url(re.compile(rf"field={cell['field']}"))
    first = page.locator("#map-table tbody tr").first
    expect(first).to_be_visible()
    regions = page.locator("#map-table tbody tr").evaluate_all(
        "rs => rs.map(r => r.dataset.region)"
    )
    in_field = api(stack, "/v1/map/competences", level="nuts2", field=cell["field"])["data"]
    assert sorted(regions) == sorted(c["region"] for c in in_field) and "DED2" in regions
    values = [float(v) for v in page.locator(".lq-value").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    expect(page.locator('tr[data-region="DED2"]')).to_contain_text("Lasertec Dresden")


def test_competence_map_by_country_and_kind(page: Any) -> None:
    page.goto("/map?level=country&kind=cluster")
    expect(page.get_by_label("Regions", exact=True)).to_have_value("country")
    expect(page.locator("#map-heading")).to_contain_text("all countries")
    groups = page.locator("tbody[data-region]").evaluate_all("gs => gs.map(g => g.dataset.region)")
    assert sorted(groups) == ["DE", "ES"]  # the two cluster organisations
    expect(page.locator('tbody[data-region="ES"]')).to_contain_text("BioPack Cluster Catalunya")
    expect(page.locator('tbody[data-region="ES"] tr.group')).to_have_text("Spain: 1 organisation")


def test_competence_map_empty_and_error_states(page: Any) -> None:
    page.goto("/map?kind=public")  # no public authority in the dataset
    expect(page.locator("#map-status.empty")).to_contain_text(
        "No organisations of the type “Public authority or agency”"
    )
    expect(page.locator("#map")).to_be_hidden()

    page.goto("/map?country=AT")  # no organisation in Austria
    expect(page.locator("#map-status.empty")).to_contain_text("in Austria")

    page.goto("/map?field=F999")
    status = page.locator("#map-status.error")
    expect(status).to_contain_text("'F999' is not a technology field")
    expect(status.get_by_role("button", name="Try again")).to_be_visible()


def test_competence_map_while_the_matcher_is_not_ready(page: Any) -> None:
    body = {"error": {"code": "not_ready", "message": "matcher is catching up", "details": None}}
    page.route("**/v1/map/competences*", lambda route: route.fulfill(status=503, json=body))
    page.goto("/map")
    expect(page.locator("#map-status.error")).to_contain_text("still reading the profiles")
    expect(page.get_by_role("button", name="Show the map")).to_be_enabled()


def test_bridges_show_the_need_and_the_offer_that_connect(
    page: Any, stack: Stack, screenshot: Any
) -> None:
    page.goto("/bridges")
    cards = page.locator("#bridge-list > li")
    solar = cards.filter(has_text="Porto Solar Modules")
    expect(solar).to_have_count(1)
    seeker, provider = solar.locator(".bridge-side").all()
    expect(seeker.locator(".card-title")).to_have_text("Porto Solar Modules")
    expect(seeker.locator(".passage.need")).to_have_text(
        "laser welding process monitoring for solar cell connectors"
    )
    expect(seeker).to_contain_text("Norte (PT11), Portugal")
    expect(provider.locator(".card-title")).to_have_text("Lasertec Dresden")
    expect(provider.locator(".passage.offer")).to_have_text("laser welding process monitoring")
    expect(provider.get_by_role("link", name="Lasertec Dresden")).to_have_attribute(
        "href", f"/profiles/{stack.profiles['web-lasertec']['id']}"
    )
    steel = cards.filter(has_text="Brno Steel Frames")
    expect(steel.locator(".passage.offer")).to_have_text("computer vision for quality inspection")
    expect(steel.locator(".bridge-side").nth(1)).to_contain_text("Warsaw Software House")
    expect(page.locator("#pairs-table tbody tr")).to_have_count(
        len(api(stack, "/v1/bridges")["field_pairs"])
    )
    screenshot(page, "bridges")

    # Needs from Portugal only: the Brno bridge goes, and the filter stays in the address.
    page.get_by_label("Organisations that need, in").select_option("PT")
    page.get_by_role("button", name="Show bridges").click()
    expect(page).to_have_url(re.compile(r"from_country=PT"))
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Porto Solar Modules")
    expect(page.locator("#bridges-heading")).to_have_text("Needs in Portugal answered elsewhere")


def test_bridges_empty_and_error_states(page: Any) -> None:
    page.goto("/bridges?from_country=AT")
    expect(page.locator("#bridges-status.empty")).to_contain_text("No bridges with these filters")
    expect(page.locator("#bridges")).to_be_hidden()
    expect(page.get_by_label("Organisations that need, in")).to_have_value("AT")

    body = {"error": {"code": "rate_limited", "message": "too many", "details": None}}
    page.route(
        "**/v1/bridges*",
        lambda route: route.fulfill(status=429, json=body, headers={"Retry-After": "9"}),
    )
    page.goto("/bridges")
    expect(page.locator("#bridges-status.error")).to_contain_text("Wait 9 seconds")


def test_cluster_potential_from_a_cluster_profile(page: Any, stack: Stack) -> None:
    cluster = stack.profiles["web-silicon-saxony"]
    page.goto(f"/profiles/{cluster['id']}")
    page.get_by_role("link", name="Analyse this cluster's potential").click()
    expect(page).to_have_url(re.compile(rf"/clusters/{cluster['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Silicon Saxony Network")
    potential = api(stack, f"/v1/clusters/{cluster['id']}/potential")
    fields = page.locator("#fields-table tbody tr")
    expect(fields).to_have_count(len(potential["fields"]))
    first = potential["fields"][0]
    expect(fields.first.locator(".lq-value")).to_have_text(f"{first['specialisation']:.2f}")
    expect(page.locator("#fields-count-heading")).to_have_text("Organisations in Dresden (DED2)")
    # The other cluster organisation, in another region, is its peer.
    peers = page.locator("#peer-list > li")
    expect(peers).to_have_count(1)
    expect(peers.first.get_by_role("link")).to_have_text("BioPack Cluster Catalunya")
    # Its profile seeks nothing and answers no need: explained, not just blank.
    expect(page.locator("#bridges-empty")).to_contain_text("No complementary organisations")
    expect(page.locator("#gaps-empty")).to_be_visible()


def test_potential_of_a_provider_shows_whose_need_it_answers(
    page: Any, stack: Stack, screenshot: Any
) -> None:
    lasertec = stack.profiles["web-lasertec"]
    page.goto(f"/profiles/{lasertec['id']}")
    page.get_by_role("link", name="Analyse its potential").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lasertec Dresden")
    bridge = page.locator("#bridge-list > li")
    expect(bridge).to_have_count(1)
    expect(bridge.locator(".bridge-side").first).to_contain_text("Porto Solar Modules")
    expect(bridge.locator(".passage.need")).to_have_text(
        "laser welding process monitoring for solar cell connectors"
    )
    expect(bridge.locator(".passage.offer")).to_have_text("laser welding process monitoring")
    expect(page.locator("#bridges-empty")).to_be_hidden()
    screenshot(page, "cluster")


def test_potential_of_an_unknown_profile(page: Any) -> None:
    page.goto("/clusters/987654")
    expect(page.locator("#cluster-status.error")).to_contain_text(
        "There is no profile number 987654"
    )
    expect(page.locator("#potential")).to_be_hidden()


def test_competence_map_picture_shaded_by_field_and_reached_by_keyboard(
    page: Any, stack: Stack, screenshot: Any
) -> None:
    cell = lasertec_cell(stack)
    # Dresden has two organisations: with small_below=2 it gets an index, one-organisation
    # regions stay "too few organisations".
    page.goto("/map?small_below=2")
    page.get_by_label("Technology field", exact=True).select_option(cell["field"])
    page.get_by_role("button", name="Show the map").click()
    expect(page).to_have_url(re.compile(rf"field={cell['field']}"))
    picture = page.locator("#map-picture svg")
    dresden = picture.locator('a[data-region="DED2"]')
    in_field = api(stack, "/v1/map/competences", level="nuts2", field=cell["field"], small_below=2)[
        "data"
    ]
    ded2 = next(c for c in in_field if c["region"] == "DED2")
    shade = {
        "strongly specialised": "strong",
        "above average": "above",
        "about average": "about",
        "below average": "below",
    }[ded2["specialisation_label"]]
    expect(dresden).to_have_attribute("data-shade", shade)
    expect(dresden).to_have_attribute("aria-label", re.compile(rf"^Dresden.*{shade}"))
    shaded = picture.locator('a[data-shade]:not([data-shade="small"]):not([data-shade="none"])')
    assert shaded.count() >= 1
    # Regions with one organisation are hatched and never called specialised.
    for small in (c for c in in_field if c["small"]):
        region = picture.locator(f'a[data-region="{small["region"]}"]')
        expect(region).to_have_attribute("data-shade", "small")
        expect(region).to_have_attribute("aria-label", re.compile("too few organisations"))
    assert any(c["small"] for c in in_field)
    # Regions of the dataset outside the field are drawn too, never shaded as specialised.
    everywhere = {c["region"] for c in api(stack, "/v1/map/competences", level="nuts2")["data"]}
    outside = everywhere - {c["region"] for c in in_field}
    assert outside
    for code in outside:
        shade = picture.locator(f'a[data-region="{code}"]').get_attribute("data-shade")
        assert shade in {"none", "small"}, (code, shade)
    expect(page.locator("#map-legend")).to_contain_text("too few organisations for an index")
    expect(page.locator("#map-small")).to_have_text("2")
    # The table stays below as the accessible alternative.
    expect(page.locator('#map-table tr[data-region="DED2"]')).to_contain_text("Lasertec Dresden")
    screenshot(page, "map")

    # Keyboard: from the CSV link, Tab reaches the regions; Enter opens Dresden's organisations.
    page.locator("#csv-link").focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset?.region") == "DED2":
            break
    assert page.evaluate("document.activeElement.dataset.region") == "DED2"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/regions/DED2\?.*field={cell['field']}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations in Dresden (DED2)")
    orgs = page.locator("#region-list > li")
    expect(orgs).to_have_count(2)
    expect(orgs.get_by_role("link", name="Lasertec Dresden")).to_have_attribute(
        "href", f"/profiles/{stack.profiles['web-lasertec']['id']}"
    )
    expect(page.locator("#region-field")).to_contain_text(f"of {ded2['region_total']}")
    page.get_by_role("link", name="Back to the competence map").click()
    expect(page).to_have_url(re.compile(rf"/map\?.*field={cell['field']}"))


def test_competence_map_picture_of_one_country(page: Any) -> None:
    page.goto("/map?level=nuts2&country=DE")
    picture = page.locator("#map-picture svg")
    expect(picture.locator("a[data-region]").first).to_be_visible()
    regions = picture.locator("a[data-region]").evaluate_all("as => as.map(a => a.dataset.region)")
    assert regions and all(r.startswith("DE") for r in regions)
    page.goto("/regions/XX99")
    expect(page.locator(".notice.error")).to_contain_text("not a region or country")
