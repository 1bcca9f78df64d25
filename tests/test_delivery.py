"""Transports against real folders and a real SMTP server (aiosmtpd) on 127.0.0.1, through
the one-off door every single message takes (`send_message`: send-test, resend, confirmation
mail)."""

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from syndicate.config import Config, DeliveryConfig
from syndicate.delivery.handover import DeliveryError
from syndicate.delivery.transports import send_message
from tests.conftest import free_port


def transport(config: Config, settings: DeliveryConfig):
    """`(message, name) -> where it went` through the transport `settings` name."""
    return lambda msg, name: send_message(config, msg, name, settings)


def message(to: str = "reader@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Digest <digest@example.org>"
    msg["To"] = to
    msg["Subject"] = "Ringkasan hari ini"
    msg["Message-ID"] = "<d1.abc@example.org>"
    msg.set_content("Halo\n")
    return msg


def test_maildir_delivers_once_under_a_deterministic_name(config: Config):
    outbox = config.path("outbox")
    deliver = transport(config, DeliveryConfig(method="maildir"))
    deliver(message(), "d1.abc.syndicate")
    deliver(message(), "d1.abc.syndicate")  # a rerun after a crash before the state commit
    files = list((outbox / "new").iterdir())
    assert [f.name for f in files] == ["d1.abc.syndicate"]
    assert list((outbox / "tmp").iterdir()) == []
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Ringkasan hari ini"


def test_maildir_counts_a_message_the_reader_already_moved_to_cur(config: Config):
    outbox = config.path("outbox")
    deliver = transport(config, DeliveryConfig(method="maildir"))
    deliver(message(), "d1.abc.syndicate")
    (outbox / "new" / "d1.abc.syndicate").rename(outbox / "cur" / "d1.abc.syndicate:2,S")
    assert "already there" in deliver(message(), "d1.abc.syndicate")
    assert list((outbox / "new").iterdir()) == []


def test_eml_folder(config: Config):
    outbox = config.path("outbox")
    deliver = transport(config, DeliveryConfig(method="eml"))
    deliver(message(), "d1.abc.syndicate")
    deliver(message(), "d1.abc.syndicate")
    assert [p.name for p in outbox.iterdir()] == ["d1.abc.syndicate.eml"]
    assert (outbox / "d1.abc.syndicate.eml").stat().st_mode & 0o777 == 0o644


def test_smtp_delivers_to_a_real_server(config: Config, smtp_server):
    handler, port = smtp_server
    deliver = transport(
        config, DeliveryConfig(method="smtp", smtp_host="127.0.0.1", smtp_port=port)
    )
    deliver(message(), "d1.abc.syndicate")
    assert len(handler.messages) == 1
    assert handler.messages[0]["Subject"] == "Ringkasan hari ini"
    assert handler.messages[0]["X-RcptTo"] == "reader@example.org"


def test_smtp_refused_recipient_is_a_failure_not_a_silent_success(config: Config, smtp_server):
    _, port = smtp_server
    deliver = transport(
        config, DeliveryConfig(method="smtp", smtp_host="127.0.0.1", smtp_port=port)
    )
    with pytest.raises(DeliveryError, match=r"permanent: .*RCPT TO: 550 5\.1\.1 no such user"):
        deliver(message("refuse@example.org"), "x")


def test_smtp_server_down_is_a_clear_error(config: Config):
    port = free_port()  # nobody listens there
    settings = DeliveryConfig(method="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=2)
    deliver = transport(config, settings)
    with pytest.raises(DeliveryError, match=f"127.0.0.1:{port}: cannot connect"):
        deliver(message(), "x")


def _tls_server(cert, key, **smtp_options):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.conftest import RecordingHandler

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, data):
        ok = data.login == b"digest" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)

    handler = RecordingHandler()
    port = free_port()
    implicit = smtp_options.pop("implicit_tls", False)
    options = {"authenticator": authenticator, **smtp_options}
    if implicit:
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, ssl_context=context, **options
        )
    else:
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, tls_context=context, **options
        )
    controller.start()
    return controller, handler, port


def test_smtp_starttls_and_login_with_the_password_from_the_environment(
    config: Config, tls_cert, monkeypatch
):
    cert, key = tls_cert
    controller, handler, port = _tls_server(cert, key, require_starttls=True, auth_required=True)
    monkeypatch.setenv("SYNDICATE_SMTP_PASSWORD", "s3cret")
    try:
        settings = DeliveryConfig(
            method="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls",
            smtp_username="digest", smtp_cafile=cert,
        )  # fmt: skip
        transport(config, settings)(message(), "x")
        assert [m["Subject"] for m in handler.messages] == ["Ringkasan hari ini"]
        monkeypatch.setenv("SYNDICATE_SMTP_PASSWORD", "wrong")
        with pytest.raises(DeliveryError, match="535"):
            transport(config, settings)(message(), "x")
    finally:
        controller.stop()


def test_smtp_implicit_tls(config: Config, tls_cert):
    cert, key = tls_cert
    controller, handler, port = _tls_server(cert, key, implicit_tls=True)
    try:
        settings = DeliveryConfig(
            method="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="tls",
            smtp_cafile=cert,
        )  # fmt: skip
        transport(config, settings)(message(), "x")
        assert len(handler.messages) == 1
    finally:
        controller.stop()


def test_smtp_certificate_is_verified(config: Config, tls_cert):
    cert, key = tls_cert
    controller, handler, port = _tls_server(cert, key, require_starttls=True)
    try:
        settings = DeliveryConfig(
            method="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="starttls",
            smtp_timeout=5,
        )  # fmt: skip
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            transport(config, settings)(message(), "x")
        assert handler.messages == []
    finally:
        controller.stop()


def test_a_login_over_plain_smtp_is_refused_by_the_config():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="in clear"):
        DeliveryConfig(method="smtp", smtp_username="digest", smtp_security="none")
