"""An analyst in a real browser (headless Debian Chromium): log in, filter, open an incident, dismiss it,
create a subscription and receive its test alert, read a feed; the list works on a phone and by keyboard;
the subscription form offers every installed channel, and a Teams and a signed JSON webhook made there
receive their test alerts on a loopback receiver."""

from __future__ import annotations

import feedparser
import pytest

from monitor.config import FetchSettings, Settings
from monitor.registry import Deps
from monitor.store import Store
from monitor.web.app import create_app
from notifiers import build_notifiers, channel_specs
from notifiers.webhook import SIGNATURE_HEADER, verify
from tests.browser import LiveServer, chromium, require_chromium
from tests.webapp import PASSWORD, Site
from tests.webhookserver import WebhookServer

pytestmark = pytest.mark.browser


@pytest.fixture
def live(tmp_path, clock):
    require_chromium()
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    site = Site.build(store, clock)
    try:
        with LiveServer(create_app(site.ws)) as server, chromium() as browser:
            yield site, server, browser
    finally:
        store.close()


def log_in(page, server, email="analyst@example.org"):
    page.goto(server.url("/incidents"))
    assert "/login" in page.url
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/incidents")


def test_an_analyst_reviews_subscribes_and_reads_a_feed_in_a_real_browser(live):
    site, server, browser = live
    page = browser.new_page()
    log_in(page, server)

    page.select_option("#label", "shutdown")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**label=shutdown**")
    titles = page.locator("table.incidents tbody a[href^='/incidents/']").all_inner_texts()
    assert titles == ["Safaricom cuts mobile data in Kenya during protests", "Ethiopia shuts the internet in Amhara"]

    page.click("text=Safaricom cuts mobile data in Kenya during protests")
    page.wait_for_url("**/incidents/*")
    assert "Why this severity" in page.content()
    page.fill("#note", "duplicate of a wire story")
    page.click("button[value=dismiss]")
    page.wait_for_selector("#review-state")
    assert page.inner_text("#review-state") == "dismissed"
    assert site.store.get_incident(site.incidents[0].id).review == "dismissed"

    page.goto(server.url("/subscriptions/new"))
    page.fill("#name", "desk")
    page.select_option("#kind", "console")
    page.fill("#targets", "stdout")
    page.check("input[name=labels][value=shutdown]")
    page.click("button:has-text('Save subscription')")
    page.wait_for_url("**/subscriptions?**")
    page.click("tr:has-text('desk') button:has-text('Send a test alert')")
    page.wait_for_selector("#flash")
    assert "test alert to stdout: sent" in page.inner_text("#flash")
    assert "Test alert from rights-monitor" in site.stream.getvalue()

    page.goto(server.url("/account"))
    page.click("button:has-text('Create a feed token')")
    href = page.get_attribute("#feed-all", "href")
    response = page.goto(server.url(href))
    feed = feedparser.parse(response.body())
    assert not feed.bozo and len(feed.entries) == 5
    assert "<script" not in response.text()


def test_the_list_fits_a_phone_and_works_by_keyboard(live):
    _site, server, browser = live
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    log_in(page, server, "viewer@example.org")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    page.goto(server.url("/incidents"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.focus("#q")
    page.keyboard.type("spyware")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=spyware**")
    assert page.locator("table.incidents tbody a[href^='/incidents/']").all_inner_texts() == [
        "NSO Group spyware found on journalists' phones"]
    context.close()


@pytest.fixture
def hooked(tmp_path, clock):
    """A workspace whose notifiers are built as `serve` builds them, webhooks allowed to a loopback receiver."""
    require_chromium()
    settings = Settings(fetch=FetchSettings(allow_hosts=("127.0.0.1",)))
    store = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    site = Site.build(store, clock, settings=settings, samples=False)
    site.ws.notifiers = build_notifiers(settings, Deps(clock=clock, environ={"DESK_HOOK_KEY": "s3cret"},
                                                       sleep=lambda _s: None, stream=site.stream))
    try:
        with WebhookServer() as hooks, LiveServer(create_app(site.ws)) as server, chromium() as browser:
            yield site, hooks, server, browser
    finally:
        store.close()


def test_the_form_offers_every_channel_and_a_teams_and_a_signed_webhook_get_their_test_alerts(hooked):
    site, hooks, server, browser = hooked
    page = browser.new_page()
    log_in(page, server)
    page.goto(server.url("/subscriptions/new"))
    offered = page.locator("#kind option").evaluate_all("options => options.map(o => [o.value, o.textContent])")
    assert dict(offered) == {kind: spec.title for kind, spec in channel_specs().items()}  # from the channel modules
    assert "Microsoft Teams incoming-webhook URL" in page.inner_text("#channel-hints")

    page.fill("#name", "teams-desk")
    page.select_option("#kind", "teams_webhook")
    page.fill("#targets", hooks.url("/teams"))
    page.click("button:has-text('Save subscription')")
    page.wait_for_url("**/subscriptions?**")

    page.goto(server.url("/subscriptions/new"))
    page.fill("#name", "tool")
    page.select_option("#kind", "json_webhook")
    page.fill("#targets", hooks.url("/json"))
    page.fill("#secret_env", "DESK_HOOK_KEY")
    page.select_option("#updates", "none")
    page.click("button:has-text('Save subscription')")
    page.wait_for_url("**/subscriptions?**")
    tool = site.store.get_subscription("tool")
    assert (tool.channel.kind, tool.channel.secret_env, tool.updates) == ("json_webhook", "DESK_HOOK_KEY", "none")

    for name, path in (("teams-desk", "/teams"), ("tool", "/json")):
        page.click(f"tr:has-text('{name}') button:has-text('Send a test alert')")
        page.wait_for_selector("#flash")
        assert f"test alert to {hooks.url(path)}: sent" in page.inner_text("#flash")
    [card] = hooks.delivered("/teams")
    [signed] = hooks.delivered("/json")
    assert card.json["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert verify(b"s3cret", signed.body, signed.headers[SIGNATURE_HEADER.lower()])
    assert signed.json["incident"]["title"] == "Test alert from rights-monitor"

    page.goto(server.url("/subscriptions/new"))  # a signing key on a channel that does not sign is refused
    page.fill("#name", "bad")
    page.select_option("#kind", "teams_webhook")
    page.fill("#targets", hooks.url("/teams"))
    page.fill("#secret_env", "DESK_HOOK_KEY")
    page.click("button:has-text('Save subscription')")
    assert "secret_env signs a json_webhook only" in page.inner_text("p.error")
    assert site.store.get_subscription("bad") is None
