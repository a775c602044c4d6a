"""Feedback on the pages in headless Chromium: "Hide" takes a card away and it stays away on
reload (the browser's own cookie), undo brings it back, the controls work from the keyboard,
and the profile page lists the browser's marks on that organisation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import LASER_NEED
from tests.web.conftest import Stack

pytestmark = pytest.mark.browser


def search(page: Any, need: str) -> Any:
    page.goto("/")
    page.get_by_label("What are you looking for?").fill(need)
    page.get_by_role("button", name="Find partners").click()
    cards = page.locator("#result-list > li")
    expect(cards.first).to_be_visible()
    return cards


def card_named(page: Any, name: str) -> Any:
    return page.locator("#result-list > li").filter(has=page.get_by_role("link", name=name))


def card_of(page: Any, name: str) -> Any:
    """The card by its profile id, which stays while its content is hidden."""
    profile_id = card_named(page, name).get_attribute("data-profile-id")
    return page.locator(f'#result-list > li[data-profile-id="{profile_id}"]')


def test_hide_takes_the_card_away_and_it_stays_away_on_reload(page: Any, browser: Any) -> None:
    cards = search(page, LASER_NEED)
    name = cards.first.locator(".card-title").inner_text()
    card = card_of(page, name)
    card.get_by_role("button", name="Hide").click()
    expect(card.locator("article")).to_be_hidden()
    expect(card.get_by_role("button", name="Undo")).to_be_focused()
    expect(card).to_contain_text(f"{name} is hidden from your results.")

    page.reload()
    expect(page.locator("#result-list > li").first).to_be_visible()
    expect(card_named(page, name)).to_have_count(0)

    # Another browser (its own cookie) still sees it.
    other = browser.new_context(base_url=page.url.split("/?")[0], locale="en-GB")
    try:
        tab = other.new_page()
        search(tab, LASER_NEED)
        expect(card_named(tab, name)).to_have_count(1)
    finally:
        other.close()


def test_undo_and_keyboard(page: Any) -> None:
    cards = search(page, LASER_NEED)
    name = cards.nth(1).locator(".card-title").inner_text()
    card = card_of(page, name)
    card.get_by_role("button", name="Not relevant").focus()
    page.keyboard.press("Enter")
    expect(card.locator("article")).to_be_hidden()
    expect(card.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(card.locator("article")).to_be_visible()
    expect(card.get_by_role("button", name="Hide")).to_be_focused()
    page.reload()
    expect(card_named(page, name)).to_have_count(1)


def test_contacted_toggle_persists_and_the_profile_page_lists_the_marks(
    page: Any, stack: Stack
) -> None:
    lasertec = stack.profiles["web-lasertec"]
    cards = search(page, LASER_NEED)
    card = card_named(page, "Lasertec Dresden")
    toggle = card.get_by_role("button", name="Mark as contacted")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".feedback-status")).to_have_text("Marked as contacted.")
    page.reload()
    expect(cards.first).to_be_visible()
    toggle = card_named(page, "Lasertec Dresden").get_by_role("button", name="Mark as contacted")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    page.goto(f"/profiles/{lasertec['id']}")
    own = page.locator("#own-feedback")
    expect(own).to_be_visible()
    expect(own).to_contain_text("Marked as contacted")
    own.get_by_role("button", name="Undo: Marked as contacted").click()
    expect(own).to_be_hidden()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lasertec Dresden")
    expect(page.locator("#own-feedback")).to_be_hidden()
