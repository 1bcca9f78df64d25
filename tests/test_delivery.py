"""Transports against real folders and a real SMTP server (aiosmtpd) on 127.0.0.1."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from syndicate.config import DeliveryConfig
from syndicate.delivery import DeliveryError, eml_transport, maildir_transport, smtp_transport
from tests.conftest import free_port


def message(to: str = "reader@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Digest <digest@example.org>"
    msg["To"] = to
    msg["Subject"] = "Ringkasan hari ini"
    msg["Message-ID"] = "<d1.abc@example.org>"
    msg.set_content("Halo\n")
    return msg


def test_maildir_delivers_once_under_a_deterministic_name(tmp_path: Path):
    deliver = maildir_transport(tmp_path / "outbox")
    deliver(message(), "d1.abc.syndicate")
    deliver(message(), "d1.abc.syndicate")  # a rerun after a crash before the state commit
    files = list((tmp_path / "outbox" / "new").iterdir())
    assert [f.name for f in files] == ["d1.abc.syndicate"]
    assert list((tmp_path / "outbox" / "tmp").iterdir()) == []
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Ringkasan hari ini"


def test_maildir_counts_a_message_the_reader_already_moved_to_cur(tmp_path: Path):
    deliver = maildir_transport(tmp_path)
    deliver(message(), "d1.abc.syndicate")
    (tmp_path / "new" / "d1.abc.syndicate").rename(tmp_path / "cur" / "d1.abc.syndicate:2,S")
    assert "already there" in deliver(message(), "d1.abc.syndicate")
    assert list((tmp_path / "new").iterdir()) == []


def test_eml_folder(tmp_path: Path):
    deliver = eml_transport(tmp_path)
    deliver(message(), "d1.abc.syndicate")
    deliver(message(), "d1.abc.syndicate")
    assert [p.name for p in tmp_path.iterdir()] == ["d1.abc.syndicate.eml"]
    assert (tmp_path / "d1.abc.syndicate.eml").stat().st_mode & 0o777 == 0o644


def test_smtp_delivers_to_a_real_server(smtp_server):
    handler, port = smtp_server
    deliver = smtp_transport(DeliveryConfig(smtp_host="127.0.0.1", smtp_port=port))
    deliver(message(), "d1.abc.syndicate")
    assert len(handler.messages) == 1
    assert handler.messages[0]["Subject"] == "Ringkasan hari ini"
    assert handler.messages[0]["X-RcptTo"] == "reader@example.org"


def test_smtp_refused_recipient_is_a_failure_not_a_silent_success(smtp_server):
    _, port = smtp_server
    deliver = smtp_transport(DeliveryConfig(smtp_host="127.0.0.1", smtp_port=port))
    with pytest.raises(DeliveryError, match="refused"):
        deliver(message("refuse@example.org"), "x")


def test_smtp_server_down_is_a_clear_error():
    port = free_port()  # nobody listens there
    deliver = smtp_transport(DeliveryConfig(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=2))
    with pytest.raises(DeliveryError, match=f"127.0.0.1:{port}.*retry next run"):
        deliver(message(), "x")
