"""What a new user meets setting up delivery: check-config on store subscriptions, new channels and update policies."""

from __future__ import annotations

import pytest

from monitor.store import Store
from tests.test_cli import ROOT, invoke


@pytest.fixture
def env(tmp_path):
    return {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'cli.db'}", "RIGHTS_MONITOR_SOURCES": str(ROOT / "sources.yaml"),
            "COLUMNS": "220"}


def test_check_config_rejects_an_email_subscription_once_smtp_is_gone(env):
    assert invoke(["subscribe", "ngo", "--email", "desk@ngo.test"], {**env, "SMTP_HOST": "127.0.0.1"}).exit_code == 0
    result = invoke(["check-config"], env)
    assert result.exit_code != 0
    assert "ngo" in result.output and "email is not configured: set SMTP_HOST" in result.output


def test_check_config_names_a_json_webhook_whose_secret_is_unset(env):
    args = ["subscribe", "tool", "--json-webhook", "https://hooks.example.org/rm", "--secret-env", "RM_HOOK_KEY"]
    assert invoke(args, {**env, "RM_HOOK_KEY": "k"}).exit_code == 0
    result = invoke(["check-config"], env)
    assert result.exit_code != 0 and "secret_env RM_HOOK_KEY is not set" in result.output
    assert invoke(["check-config"], {**env, "RM_HOOK_KEY": "k"}).exit_code == 0


def test_subscribe_teams_keeps_the_update_policy_and_refuses_internal_urls(env):
    ok = invoke(["subscribe", "t", "--teams-webhook", "https://example.webhook.office.com/x", "--updates", "all"], env)
    assert ok.exit_code == 0, ok.output
    store = Store.open(env["RIGHTS_MONITOR_DB"])
    try:
        sub = store.get_subscription("t")
    finally:
        store.close()
    assert sub.channel.kind == "teams_webhook" and sub.update_policy == "all"
    refused = invoke(["subscribe", "u", "--teams-webhook", "http://127.0.0.1:9/x"], env)
    assert refused.exit_code == 2 and "--teams-webhook" in refused.output


def test_default_update_policies_come_from_each_channel_module():
    from monitor.subscriptions import with_channel_defaults
    from monitor.types import Channel, Subscription
    from notifiers import channel_specs

    subs = [Subscription("a", Channel("email", ("a@b.c",))), Subscription("b", Channel("slack_channel", ("C1",))),
            Subscription("c", Channel("json_webhook", ("https://x",))),
            Subscription("d", Channel("slack_webhook", ("https://x",)), updates="none")]
    assert [s.update_policy for s in with_channel_defaults(subs, channel_specs())] == ["material", "all", "material", "none"]
