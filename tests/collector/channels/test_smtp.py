"""Email against a real SMTP server (aiosmtpd): plain, STARTTLS and implicit TLS; a certificate it
cannot verify refused; a refused recipient permanent, a dead server retried."""

from __future__ import annotations

import pytest

from devenv.services import free_port
from schoolnet_collector.channels import DeliveryError
from schoolnet_collector.channels.smtp import SmtpChannel, SmtpConfig
from tests.support.notify import MSG
from tests.support.smtp import SmtpServer, make_certificate

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-cert"))


@pytest.mark.parametrize(
    "mode,security", [("plain", "none"), ("starttls", "starttls"), ("ssl", "ssl")]
)
def test_email_arrives_in_vietnamese_over_each_security(cert, mode, security):
    with SmtpServer(mode, cert) as smtp:
        channel = SmtpChannel(
            SmtpConfig(
                host="127.0.0.1",
                port=smtp.port,
                security=security,
                ca_file=cert[0],
                sender="schoolnet <alerts@so-gddt.test>",
            )
        )
        channel.send(MSG, "gv-tin@school.test")
        [mail] = smtp.wait_for(1)
    assert mail["Subject"] == MSG.subject
    assert mail["To"] == "gv-tin@school.test"
    assert "modem/router" in mail.get_content()
    assert mail["Message-ID"] == "<incident.1.opened.0.1.email@schoolnet>"


def test_starttls_refuses_a_certificate_it_cannot_verify(cert):
    with SmtpServer("starttls", cert) as smtp:
        channel = SmtpChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, security="starttls"))
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "gv-tin@school.test")
        assert not smtp.messages
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) and not err.value.permanent


def test_refused_recipient_is_permanent_and_a_dead_server_is_retried():
    with SmtpServer("plain", refuse=("@gone.test",)) as smtp:
        channel = SmtpChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, security="none"))
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "nobody@gone.test")
        assert err.value.permanent and "refused" in str(err.value)
    dead = SmtpChannel(SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout=2))
    with pytest.raises(DeliveryError) as err:
        dead.send(MSG, "gv-tin@school.test")
    assert not err.value.permanent and "refused" in str(err.value).lower()
