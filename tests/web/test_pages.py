"""The page shells as served by the gateway: markup that accessibility and offline use rely on."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import GatewaySettings


class Markup(HTMLParser):
    """Collects tags with their attributes and the `for` targets of labels."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    return markup


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    # No lifespan: the page shells need no upstream.
    settings = GatewaySettings(data_dir=tmp_path_factory.mktemp("web-pages"))
    return TestClient(create_app(settings))


@pytest.mark.parametrize(
    "path", ["/", "/profiles/7", "/visits", "/map", "/bridges", "/clusters/7", "/regions/DED2"]
)
def test_pages_are_accessible_offline_html(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    markup = parse(response.text)
    assert markup.find("html")[0]["lang"] == "en"
    assert any(m.get("name") == "viewport" for m in markup.find("meta"))
    assert markup.find("main") and markup.find("nav")
    assert "Source: CORDIS, © European Union" in response.text
    # Nothing is loaded from outside: no CDN, no web fonts.
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src")):
        for attrs in markup.find(tag):
            value = attrs.get(attr) or ""
            assert not re.match(r"^(https?:)?//", value), f"external {tag}: {value}"
            if value:
                assert client.get(value).status_code == 200, value
    # Every visible form control has a label.
    labelled = {attrs.get("for") for attrs in markup.find("label")}
    for tag in ("input", "select", "textarea"):
        for attrs in markup.find(tag):
            if attrs.get("type") in ("hidden", "submit") or "data-input" in attrs:
                continue  # template rows get their ids and labels when added
            assert attrs.get("id") in labelled, f"{tag} {attrs.get('id')} has no label"


def test_search_page_offers_filters_with_names(client: TestClient) -> None:
    html = client.get("/").text
    assert "What are you looking for?" in html
    assert '<option value="DED2">Dresden (DED2)</option>' in html
    assert '<option value="EL">Greece</option>' in html
    assert '<option value="C25">25 Manufacture of fabricated metal products' in html
    assert '<option value="research">Research or technology-transfer organisation</option>' in html


def test_profile_page_for_a_wrong_number_is_a_404_page(client: TestClient) -> None:
    response = client.get("/profiles/not-a-number")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "is not a profile number" in response.text
    assert "/profiles/42" in response.text


def test_print_stylesheet_hides_the_controls(client: TestClient) -> None:
    css = client.get("/static/web/web.css").text
    assert "@media print" in css
    print_rules = css[css.index("@media print") :]
    assert ".no-print" in print_rules and ".site-header" in print_rules


def test_intelligence_pages_are_in_the_navigation(client: TestClient) -> None:
    html = client.get("/").text
    assert '<a href="/map">Competence map</a>' in html
    assert '<a href="/bridges">Bridges</a>' in html
    assert '<a href="/map" aria-current="page">' in client.get("/map").text
    # The profile page leads to the potential analysis of the same profile.
    assert 'href="/clusters/7"' in client.get("/profiles/7").text


def test_intelligence_pages_name_regions_and_offer_filters(client: TestClient) -> None:
    map_page = client.get("/map").text
    for level in ("country", "nuts1", "nuts2"):
        assert f'<option value="{level}"' in map_page
    assert '<option value="cluster">Cluster organisation</option>' in map_page
    places = json.loads(re.search(r'id="place-names">(.*?)</script>', map_page, re.S)[1])
    assert places["DED2"] == "Dresden" and places["EL"] == "Greece"
    bridges = client.get("/bridges").text
    assert 'id="from-region"' in bridges and 'id="to-region"' in bridges
    assert '<option value="ES51">Cataluña (ES51)</option>' in bridges


def test_cluster_page_for_a_wrong_number_is_a_404_page(client: TestClient) -> None:
    response = client.get("/clusters/abc")
    assert response.status_code == 404
    assert "is not a profile number" in response.text
