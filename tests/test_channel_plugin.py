"""Adding a channel is one file: a module dropped on the path, named by an entry point, is usable end to end.

The module below is written into a temporary folder with a distribution's metadata (entry point group
`rights_monitor.notifiers`), the way `pip install rm-pager` would leave it; no file of the project is edited.
Through the real command line (a subprocess with that folder on PYTHONPATH): `subscribe --help` shows its
option, `subscribe` validates and stores it, `check-config` accepts it, and `poll --once` delivers an alert
from a loopback feed to a loopback receiver. Without the plugin installed, `check-config` names the channel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.feeds import rss, write_sources
from tests.feedserver import FeedServer
from tests.webhookserver import WebhookServer

ROOT = Path(__file__).resolve().parents[1]
SHUTDOWN = {"title": "Ethiopia orders Ethio Telecom to shut down mobile internet across Amhara region",
            "summary": "Authorities ordered state operator Ethio Telecom to cut mobile data and SMS services across "
                       "the Amhara region amid fighting, residents and rights groups said.",
            "url": "https://addis.example.org/amhara-shutdown", "hours_ago": 1}

PLUGIN = '''"""A pager channel for rights-monitor: the whole channel is this module."""

from __future__ import annotations

import json
from typing import ClassVar

from monitor.netguard import UrlGuard
from monitor.types import ChannelSpec, SendReceipt
from notifiers.base import NOTIFIERS, NotifierLimits, post_json


@NOTIFIERS.register("pager_hook")
class PagerHook:
    kind = "pager_hook"
    channel: ClassVar[ChannelSpec] = ChannelSpec(kind, "Pager", "Pager webhook URL.", target="url", updates="none")
    limits: ClassVar[NotifierLimits] = NotifierLimits(max_chars=2000, per_second=5.0)

    def __init__(self, guard, timeout_s):
        self._guard = guard
        self._timeout_s = timeout_s

    @classmethod
    def from_config(cls, config, deps):
        return cls(UrlGuard(config.fetch.allow_hosts), config.slack.timeout_s)

    def send(self, message, target):
        body = {"page": message.incident.title, "severity": str(message.alert.severity), "key": message.key}
        post_json(target, json.dumps(body).encode(), "pager", guard=self._guard, timeout_s=self._timeout_s)
        return SendReceipt()

    def send_digest(self, edition, target, key=None, channel=None):
        body = json.dumps({"digest": edition.subject}).encode()
        post_json(target, body, "pager", guard=self._guard, timeout_s=self._timeout_s)
        return SendReceipt()
'''


def install_plugin(folder: Path) -> Path:
    """Leave what `pip install` of a one-module distribution leaves: the module and its dist-info."""
    folder.mkdir()
    (folder / "rm_pager.py").write_text(PLUGIN, encoding="utf-8")
    meta = folder / "rm_pager-0.1.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: rm-pager\nVersion: 0.1\n", encoding="utf-8")
    (meta / "entry_points.txt").write_text("[rights_monitor.notifiers]\npager_hook = rm_pager\n", encoding="utf-8")
    return folder


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "monitor", *args], env=full, capture_output=True, text=True,
                          timeout=180, cwd=ROOT, check=False)


@pytest.fixture
def world(tmp_path):
    with FeedServer() as feeds, WebhookServer() as hooks:
        feeds.route("/a.xml", rss([SHUTDOWN], datetime.now(UTC)))
        sources = write_sources(tmp_path / "sources.yaml", {"outlet-a": feeds.url("/a.xml")})
        env = {"RIGHTS_MONITOR_DB": f"sqlite:///{tmp_path / 'm.db'}", "RIGHTS_MONITOR_SOURCES": str(sources),
               "RIGHTS_MONITOR_CLASSIFIER": "rules", "RIGHTS_MONITOR_ALLOW_HOSTS": "127.0.0.1",
               "SLACK_BOT_TOKEN": "", "SLACK_WEBHOOK_URL": "", "SMTP_HOST": ""}
        yield env, hooks, install_plugin(tmp_path / "site")


def test_a_channel_dropped_in_as_one_module_subscribes_and_delivers(world):
    env, hooks, site = world
    plugged = {**env, "PYTHONPATH": str(site)}
    shown = cli(["subscribe", "--help"], plugged)
    assert "--pager-hook" in shown.stdout and "Pager webhook URL." in shown.stdout

    refused = cli(["subscribe", "oncall", "--pager-hook", "not a url"], plugged)
    assert refused.returncode == 2 and "not an http(s) URL" in refused.stderr  # its declared target is checked

    made = cli(["subscribe", "oncall", "--pager-hook", hooks.url("/page"), "--label", "shutdown"], plugged)
    assert made.returncode == 0, made.stderr
    assert cli(["check-config"], plugged).returncode == 0

    polled = cli(["poll", "--once"], plugged)
    assert polled.returncode == 0, polled.stderr
    [page] = hooks.delivered("/page")
    assert page.json["page"] == SHUTDOWN["title"] and page.json["key"]

    unplugged = cli(["check-config"], env)  # the store still names the channel; nothing can deliver it
    assert unplugged.returncode == 1
    assert "subscriptions[oncall].pager_hook: no notifier of kind 'pager_hook' is installed" in unplugged.stderr
