"""The pages in headless Chromium against the real stack: search, profile, visit plan, print."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import LASER_NEED, PACKAGING_NEED
from tests.web.conftest import Stack

pytestmark = pytest.mark.browser


def search(page: Any, need: str) -> None:
    page.goto("/")
    page.get_by_label("What are you looking for?").fill(need)
    page.get_by_role("button", name="Find partners").click()


def test_search_shows_explained_results(page: Any, screenshot: Any) -> None:
    search(page, LASER_NEED)
    cards = page.locator("#result-list > li")
    expect(cards.first).to_be_visible()
    first = cards.filter(has_text="Lasertec Dresden")
    expect(first).to_have_count(1)
    assert "Lasertec Dresden" in cards.locator(".card-title").all_inner_texts()[:3]
    expect(first.locator(".meta")).to_contain_text("Research or technology-transfer organisation")
    expect(first.locator(".meta")).to_contain_text("Dresden, Kreisfreie Stadt, Germany")
    assert "Dresden, Dresden" not in first.locator(".meta").inner_text()
    # The explanation: the matched passage with the shared terms marked, and reasons.
    marks = first.locator(".passage mark")
    assert marks.count() >= 1
    assert any(
        word in mark.lower() for mark in marks.all_inner_texts() for word in ("weld", "monitor")
    )
    expect(first.locator(".reasons li").first).to_be_visible()
    # Results live in the address, so they can be shared and reloaded.
    assert "q=" in page.url
    screenshot(page, "search")


def test_filters_narrow_and_empty_results_say_what_to_do(page: Any) -> None:
    page.goto("/")
    region = page.get_by_label("Region")
    expect(region).to_be_disabled()
    page.get_by_label("Country").select_option("ES")
    expect(region).to_be_enabled()
    region_codes = region.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert "ES51" in region_codes and all(c == "" or c.startswith("ES") for c in region_codes)
    page.get_by_label("What are you looking for?").fill(PACKAGING_NEED)
    page.get_by_role("button", name="Find partners").click()
    cards = page.locator("#result-list > li")
    expect(cards.first).to_contain_text("BioPack Cluster Catalunya")
    expect(cards).to_have_count(1)

    page.get_by_label("Country").select_option("AT")  # no profile is in Austria
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator("#search-status")).to_contain_text("Remove a filter")
    expect(page.locator("#results")).to_be_hidden()


def test_empty_need_is_explained_and_keyboard_works(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    need = page.get_by_label("What are you looking for?")
    page.get_by_role("button", name="Find partners").click()
    expect(page.locator("#need-error")).to_contain_text("Write what you are looking for")
    expect(need).to_have_attribute("aria-invalid", "true")
    expect(need).to_be_focused()
    page.keyboard.type("laser welding monitoring")
    expect(page.locator("#need-error")).to_be_hidden()
    page.get_by_role("button", name="Find partners").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#result-list > li").first).to_be_visible()


@pytest.mark.parametrize(
    ("status", "code", "headers", "advice"),
    [
        (503, "upstream_unavailable", {}, "Try again in a minute"),
        (429, "rate_limited", {"Retry-After": "7"}, "Wait 7 seconds, then try again"),
    ],
)
def test_error_from_the_api_says_what_to_do(
    page: Any, status: int, code: str, headers: dict[str, str], advice: str
) -> None:
    body = {"error": {"code": code, "message": "the matcher said no", "details": None}}
    page.route(
        "**/v1/match", lambda route: route.fulfill(status=status, json=body, headers=headers)
    )
    search(page, LASER_NEED)
    expect(page.locator("#search-status")).to_contain_text(advice)
    expect(page.get_by_role("button", name="Find partners")).to_be_enabled()


def test_loading_state_while_searching(page: Any) -> None:
    held: list[Any] = []
    page.route("**/v1/match", lambda route: held.append(route))
    search(page, LASER_NEED)
    expect(page.locator("#search-status.loading")).to_contain_text("Searching for partners")
    expect(page.get_by_role("button", name="Find partners")).to_be_disabled()
    held[0].continue_()
    expect(page.locator("#result-list > li").first).to_be_visible()
    expect(page.get_by_role("button", name="Find partners")).to_be_enabled()


def test_profile_page_shows_the_profile_and_partners_elsewhere(
    page: Any, stack: Stack, screenshot: Any
) -> None:
    search(page, LASER_NEED)
    page.locator("#result-list").get_by_role("link", name="Lasertec Dresden").click()
    lasertec = stack.profiles["web-lasertec"]
    expect(page).to_have_url(re.compile(rf"/profiles/{lasertec['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lasertec Dresden")
    expect(page.locator("#profile-offers")).to_contain_text("laser welding process monitoring")
    expect(page.locator("#profile-facts")).to_contain_text(
        "M72.1 (Scientific research and development)"
    )
    partners = page.locator("#partner-list > li")
    expect(partners.first).to_be_visible()
    names = partners.locator(".card-title").all_inner_texts()
    assert "Lasertec Dresden" not in names
    # Partners are in other regions: none of the Dresden hosts.
    assert not {"Silicon Saxony Network"} & set(names)
    screenshot(page, "profile")


def test_unknown_profile_says_what_to_do(page: Any) -> None:
    page.goto("/profiles/987654")
    expect(page.locator("#profile-status")).to_contain_text("There is no profile number 987654")
    expect(page.locator("#profile")).to_be_hidden()


def test_visit_plan_by_day_and_printable_briefing(page: Any, screenshot: Any) -> None:
    page.goto("/visits")
    page.get_by_label("Name (for the briefing, optional)").first.fill("Alu Parts")
    page.get_by_label("What does this member need?").first.fill(LASER_NEED)
    page.get_by_label("What does this member need?").nth(1).fill(PACKAGING_NEED)
    page.get_by_label("Country to visit").select_option("DE")
    page.get_by_label("Region (optional)").select_option("DED")
    page.get_by_label("Days", exact=True).select_option("2")
    page.get_by_label("Visits per day").select_option("2")
    page.get_by_role("button", name="Plan the visit").click()

    plan = page.locator("#plan")
    expect(plan).to_be_visible()
    expect(page.locator("#plan-heading")).to_contain_text("Sachsen")
    expect(page.locator(".day h3").first).to_contain_text("Day 1")
    hosts = page.locator(".visit-title").all_inner_texts()
    assert "Lasertec Dresden" in hosts and "Leipzig Green Packaging" in hosts
    assert len(hosts) == len(set(hosts)) <= 4
    expect(plan.locator(".serves").first).to_contain_text("For ")
    # Dresden and Leipzig lie 100 km apart: each has a day of its own, drawn as a route.
    days = page.locator(".day")
    for i in range(days.count()):
        cities = days.nth(i).locator(".visit .meta").all_inner_texts()
        assert not (any("Dresden" in c for c in cities) and any("Leipzig" in c for c in cities))
    expect(days.first.locator(".day-area")).to_contain_text("within 60 km")
    expect(days.first.locator("svg.route-sketch circle")).to_have_count(
        days.first.locator(".visit").count()
    )
    expect(page.locator("#plan-delegation")).to_contain_text("Alu Parts")
    briefing = page.locator("#briefing-link").get_attribute("href")
    markdown = page.request.get(briefing, params={"format": "md"})
    assert markdown.ok and "Lasertec Dresden" in markdown.text()
    screenshot(page, "visits")

    page.emulate_media(media="print")
    expect(page.locator("#visit-form")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator("#print-plan")).to_be_hidden()
    expect(plan).to_be_visible()
    expect(page.locator(".attribution")).to_be_visible()
    screenshot(page, "visits-print")
    page.emulate_media(media="screen")


def test_visit_planner_checks_the_form(page: Any) -> None:
    page.goto("/visits")
    page.get_by_role("button", name="Plan the visit").click()
    expect(page.locator(".member .field-error").first).to_contain_text("Describe at least one")
    expect(page.locator("#target-error")).to_contain_text("Choose the country")
    page.get_by_label("What does this member need?").first.fill("solar")
    page.get_by_label("Or the organisation on crosslink").first.fill("12")
    page.get_by_label("Country to visit").select_option("DE")
    page.get_by_role("button", name="Plan the visit").click()
    expect(page.locator(".member .field-error").first).to_contain_text("not both")
    expect(page.locator("#plan")).to_be_hidden()


def test_profile_page_starts_a_visit_plan_for_it(page: Any, stack: Stack) -> None:
    lasertec = stack.profiles["web-lasertec"]
    page.goto(f"/profiles/{lasertec['id']}")
    page.get_by_role("link", name="Plan a visit for this organisation").click()
    picker = page.get_by_label("Or the organisation on crosslink").first
    expect(picker).to_have_attribute("data-profile-id", str(lasertec["id"]))
    expect(picker).to_have_value("Lasertec Dresden")  # the number, shown by its name
    assert json.loads(page.locator("#kind-labels").inner_text())  # shared labels are present


def test_members_are_picked_by_name_with_the_keyboard(page: Any, stack: Stack) -> None:
    page.goto("/visits")
    picker = page.get_by_role("combobox", name="Or the organisation on crosslink").first
    picker.focus()
    page.keyboard.type("lasert")
    listbox = page.locator(f"#{picker.get_attribute('aria-controls')}")
    expect(listbox).to_be_visible()
    expect(picker).to_have_attribute("aria-expanded", "true")
    option = listbox.get_by_role("option", name=re.compile("Lasertec Dresden"))
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    assert picker.get_attribute("aria-activedescendant") == listbox.get_by_role(
        "option"
    ).first.get_attribute("id")
    page.keyboard.press("Enter")  # picks the suggestion, does not submit
    expect(listbox).to_be_hidden()
    expect(picker).to_have_value("Lasertec Dresden")
    lasertec = stack.profiles["web-lasertec"]
    expect(picker).to_have_attribute("data-profile-id", str(lasertec["id"]))
    expect(page.locator("#plan")).to_be_hidden()
    # Escape closes the suggestions; a typed number is still accepted.
    second = page.get_by_role("combobox", name="Or the organisation on crosslink").nth(1)
    second.focus()
    page.keyboard.type("leipzig")
    expect(page.locator(f"#{second.get_attribute('aria-controls')}")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(f"#{second.get_attribute('aria-controls')}")).to_be_hidden()
    second.fill(str(stack.profiles["web-aluparts"]["id"]))
    page.get_by_label("Country to visit").select_option("DE")
    page.get_by_role("button", name="Plan the visit").click()
    expect(page.locator("#plan")).to_be_visible()
    delegation = page.locator("#plan-delegation")
    expect(delegation).to_contain_text("Lasertec Dresden")
    expect(delegation).to_contain_text("Alu Parts Lombardia")
    expect(page.locator("#plan-areas")).to_contain_text("60 km")
