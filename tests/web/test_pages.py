"""The page shells as served by the gateway: markup that accessibility and offline use rely on."""

from __future__ import annotations

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


@pytest.mark.parametrize("path", ["/", "/profiles/7", "/visits"])
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
