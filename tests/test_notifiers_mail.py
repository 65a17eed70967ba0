"""Email delivery through smtplib against a real aiosmtpd server on loopback."""

from __future__ import annotations

import dataclasses

import pytest

from monitor.config import Settings, SmtpSettings
from monitor.errors import ConfigError, DeliveryError, NotConfigured
from monitor.registry import Deps
from notifiers.mail import CHART_CID, EmailNotifier, resolve_tls, send_digest, unsubscribe_headers
from tests.smtpserver import SmtpServer, closed_port
from tests.test_notifiers_render import hostile_message, make_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the bytes only travel, nobody draws them


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def test_alert_email_is_multipart_with_unsubscribe_headers(smtp):
    receipt = EmailNotifier(smtp.settings()).send(make_message(), "ngo@example.org")
    [got] = smtp.received
    msg = got.message
    assert got.rcpt_tos == ("ngo@example.org",) and msg["To"] == "ngo@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["List-Unsubscribe"].strip() == (  # folded on the wire: unfolding leaves a space
        "<mailto:monitor@rights-monitor.test?subject=unsubscribe%20investors-africa>, "
        "<https://monitor.example.org/unsubscribe/abc>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Subject"].startswith("[HIGH] shutdown, election interference \u00b7 MTN Nigeria (MTNN)")
    assert receipt.external_ref == msg["Message-ID"] and msg["Date"]


def test_alert_email_escapes_hostile_text(smtp):
    EmailNotifier(smtp.settings()).send(hostile_message(), "ngo@example.org")
    msg = smtp.messages[0]
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "\x1b" not in msg.get_body(("plain",)).get_content()


def test_one_message_per_recipient(smtp):
    notifier = EmailNotifier(smtp.settings())
    for address in ("a@example.org", "b@example.org"):
        notifier.send(make_message(), address)
    assert [r.rcpt_tos for r in smtp.received] == [("a@example.org",), ("b@example.org",)]


@pytest.mark.parametrize("target", ["a@example.org, b@example.org", "a@example.org\r\nBcc: x@evil", "nobody"])
def test_target_must_be_exactly_one_address(smtp, target):
    with pytest.raises(DeliveryError) as caught:
        EmailNotifier(smtp.settings()).send(make_message(), target)
    assert not caught.value.retryable and smtp.received == []


def test_mailto_unsubscribe_is_used_as_given_without_one_click():
    headers = unsubscribe_headers("m@x.org", "s", "mailto:leave@x.org?subject=stop")
    assert headers == {"List-Unsubscribe": "<mailto:leave@x.org?subject=stop>"}
    assert "List-Unsubscribe-Post" not in unsubscribe_headers("m@x.org", "s", None)


def test_refused_connection_is_retryable():
    settings = SmtpSettings(host="127.0.0.1", port=closed_port(), timeout_s=2)
    with pytest.raises(DeliveryError) as caught:
        EmailNotifier(settings).send(make_message(), "ngo@example.org")
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("reply", "retryable"), [("550 5.1.1 no such user", False), ("451 4.3.0 try later", True)]
)
def test_recipient_refusals_follow_the_reply_class(smtp, reply, retryable):
    smtp.rcpt_reply = reply
    with pytest.raises(DeliveryError) as caught:
        EmailNotifier(smtp.settings()).send(make_message(), "ngo@example.org")
    assert caught.value.retryable is retryable


def test_starttls_with_login():
    with SmtpServer(tls="starttls", auth=("alerts", "s3cret")) as server:
        EmailNotifier(server.settings(), ssl_context=server.client_context).send(
            make_message(), "ngo@example.org"
        )
        [got] = server.received
    assert got.tls and got.login == "alerts"


def test_implicit_tls():
    with SmtpServer(tls="ssl") as server:
        EmailNotifier(server.settings(), ssl_context=server.client_context).send(
            make_message(), "ngo@example.org"
        )
        assert server.received[0].tls


def test_untrusted_certificate_is_not_retryable():
    with SmtpServer(tls="starttls") as server, pytest.raises(DeliveryError, match="TLS") as caught:
        EmailNotifier(server.settings()).send(make_message(), "ngo@example.org")  # system CAs only
    assert not caught.value.retryable


def test_wrong_password_is_not_retryable():
    with SmtpServer(tls="starttls", auth=("alerts", "s3cret")) as server:
        notifier = EmailNotifier(server.settings(password="wrong"), ssl_context=server.client_context)
        with pytest.raises(DeliveryError) as caught:
            notifier.send(make_message(), "ngo@example.org")
    assert not caught.value.retryable


def test_server_requiring_starttls_refuses_plain_delivery():
    with SmtpServer(tls="starttls") as server:
        with pytest.raises(DeliveryError):
            EmailNotifier(server.settings(tls="none")).send(make_message(), "ngo@example.org")
        assert server.received == []


@pytest.mark.parametrize(
    ("tls", "port", "mode"),
    [(None, 587, "starttls"), ("", 465, "ssl"), (None, 25, "none"), ("auto", 2525, "none"),
     ("SSL", 587, "ssl"), ("none", 587, "none"), ("starttls", 25, "starttls")],
)  # fmt: skip
def test_resolve_tls(tls, port, mode):
    assert resolve_tls(tls, port) == mode


def test_unknown_tls_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="smtp.tls"):
        resolve_tls("tls1.3", 25)


def test_email_needs_an_smtp_host():
    with pytest.raises(NotConfigured):
        EmailNotifier.from_config(Settings(), Deps())
    assert EmailNotifier.from_config(Settings(smtp=SmtpSettings(host="mail.example.org")), Deps()).kind == "email"


# --------------------------------------------------------------------------- digest


def test_digest_embeds_the_chart_inline_for_each_recipient(smtp):
    html = "<html><body><h1>Week 2026-W47</h1></body></html>"
    send_digest(
        smtp.settings(), ["a@example.org", "b@example.org"], "Weekly digest 2026-W47", html, "text", PNG
    )
    assert [r.rcpt_tos for r in smtp.received] == [("a@example.org",), ("b@example.org",)]
    msg = smtp.messages[0]
    related = msg.get_body(("related",))
    assert related is not None and related.get_content_type() == "multipart/related"
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == f"<{CHART_CID}>" and image.get_content() == PNG
    assert f'src="cid:{CHART_CID}"' in msg.get_body(("html",)).get_content()
    assert msg.get_body(("plain",)).get_content().strip() == "text"


def test_digest_without_chart_is_plain_alternative(smtp):
    send_digest(smtp.settings(), ["a@example.org"], "Digest", "<p>hi</p>", "hi", None)
    msg = smtp.messages[0]
    assert msg.get_content_type() == "multipart/alternative"
    assert not any(p.get_content_type() == "image/png" for p in msg.walk())


def test_digest_keeps_going_past_a_refused_recipient(smtp):
    smtp.rcpt_replies["gone@example.org"] = "550 5.1.1 no such user"
    recipients = ["gone@example.org", "b@example.org"]
    with pytest.raises(DeliveryError, match="gone@example.org") as caught:
        send_digest(smtp.settings(), recipients, "Digest", "<p>x</p>", "x", PNG)
    assert not caught.value.retryable
    assert [r.rcpt_tos for r in smtp.received] == [("b@example.org",)]


def test_digest_to_unreachable_server_is_retryable():
    settings = dataclasses.replace(SmtpSettings(host="127.0.0.1", port=closed_port()), timeout_s=2)
    with pytest.raises(DeliveryError) as caught:
        send_digest(settings, ["a@example.org"], "Digest", "<p>x</p>", "x", PNG)
    assert caught.value.retryable


def test_digest_html_that_already_shows_the_chart_is_left_alone(smtp):
    html = f'<html><body><img src="cid:{CHART_CID}" alt="chart"></body></html>'
    send_digest(smtp.settings(), ["a@example.org"], "Digest", html, "x", PNG)
    assert smtp.messages[0].get_body(("html",)).get_content().count(f"cid:{CHART_CID}") == 1
