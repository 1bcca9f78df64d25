"""The one address check (addresses.deliverable_address) wherever an address comes in: the
CLI, CSV imports, the config's subscribers, the subscribe form and the delivery engine. An
address with a non-ASCII local part needs SMTPUTF8, which no delivery method sends: it is
refused up front with that reason, never stored to fail on every run."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.core import addresses
from syndicate.core.addresses import deliverable_address, parse_mailbox
from syndicate.digest import message as mail
from syndicate.store.sqlite import open_store
from syndicate.store.subscribers import add_subscriber, get_subscriber
from tests.conftest import write_config
from tests.web_support import outbox_messages, running


def cli(site: Path, *args: str) -> int:
    return main([*args, "--config", str(site / "config.toml")])


def stored(site: Path) -> dict[str, str]:
    conn = sqlite3.connect(site / "state" / "syndicate.db")
    try:
        return dict(conn.execute("SELECT email, status FROM subscribers"))
    finally:
        conn.close()


def test_the_engine_uses_the_same_function():
    # mail.deliverable_address is what the delivery engine calls for every copy.
    assert mail.deliverable_address is addresses.deliverable_address


@pytest.mark.parametrize(
    ("address", "wire"),
    [
        ("reader@example.org", "reader@example.org"),
        ("Reader@Example.ORG", "Reader@example.org"),
        ("pembaca@bücher.de", "pembaca@xn--bcher-kva.de"),  # IDNA for the domain
    ],
)
def test_a_deliverable_address_is_given_as_a_message_carries_it(address: str, wire: str):
    assert deliverable_address(address) == wire


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("ü@example.com", "SMTPUTF8"),
        ("pembaca.ü@example.org", "SMTPUTF8"),
        ("a@b", "period"),
        ("x@example.test", "special-use"),
        ('"a b"@example.org', "Quoting"),
        ("a..b@example.org", "two periods"),
        ("Name <x@example.org>", "display name"),
        (" x@example.org", "bare address"),
        ("x@example.org\r\nBcc: y@example.org", "invalid characters"),
        ("", "bare address"),
    ],
)
def test_what_the_one_check_refuses_and_why(address: str, why: str):
    with pytest.raises(ValueError, match=why):
        deliverable_address(address)


def test_smtputf8_is_what_lets_a_non_ascii_local_part_through():
    assert deliverable_address("ü@example.com", smtputf8=True) == "ü@example.com"
    assert parse_mailbox("Ü <ü@example.com>", smtputf8=True) == ("Ü", "ü@example.com")
    # No delivery method can send one yet, so every caller asks with smtputf8=False.
    assert not any(addresses.smtputf8_supported(m) for m in ("maildir", "eml", "smtp", "sendmail"))


def test_subscribers_add_refuses_a_non_ascii_local_part_up_front(site: Path, capsys):
    assert cli(site, "publish") == 0
    capsys.readouterr()
    assert cli(site, "subscribers", "add", "ü@example.com") == 2
    err = capsys.readouterr().err
    assert err.startswith("syndicate: 'ü@example.com' is not an address we can mail:")
    assert "SMTPUTF8" in err and "Traceback" not in err
    assert "ü@example.com" not in stored(site)
    # So nothing fails later: the next digest goes out, exit 0.
    (site / "articles" / "next.txt").write_text("Berita baru\n\nIsi berita.\n", "utf-8")
    assert cli(site, "run", "--digest", "now") == 0


def test_a_stored_non_ascii_address_can_still_be_removed_and_erased(site: Path, capsys):
    config = load_config(site / "config.toml")
    conn = open_store(config.db_path)
    now = datetime.now(config.site.tz)
    for email in ("ü@example.com", "é@example.com"):  # stored before the check existed
        add_subscriber(conn, email, "", now, resubscribe=True)
    conn.close()
    assert cli(site, "subscribers", "remove", "ü@example.com") == 0
    assert cli(site, "subscribers", "erase", "é@example.com") == 0
    after = stored(site)
    assert after["ü@example.com"] == "unsubscribed" and "é@example.com" not in after


def test_an_import_reports_the_row_and_keeps_the_others(site: Path, tmp_path: Path, capsys):
    assert cli(site, "publish") == 0
    rows = tmp_path / "list.csv"
    rows.write_text("email,name\nü@example.com,U\nani@example.org,Ani\n", encoding="utf-8")
    assert cli(site, "subscribers", "import", str(rows)) == 65
    out = capsys.readouterr().out
    assert "list.csv:2: ü@example.com: invalid: the part before the @ is not ASCII" in out
    assert "list.csv: 2 rows: 1 added, 1 invalid" in out  # the valid row went in
    assert "ü@example.com" not in stored(site)


def test_send_test_refuses_it_before_rendering_anything(site: Path, capsys):
    assert cli(site, "send-test", "--to", "ü@example.com") == 2
    assert "SMTPUTF8" in capsys.readouterr().err
    assert not (site / "outbox").exists()


def test_a_config_subscriber_the_strict_check_refuses_names_the_key(site: Path, capsys):
    # The config's load puts its addresses through the one check: a special-use domain is
    # refused naming the key (exit 78, nothing published).
    write_config(site, "")
    text = (site / "config.toml").read_text("utf-8")
    text = text.replace(
        'subscribers = ["Reader One <one@example.org>"]', "subscribers = ['x@example.test']"
    )
    (site / "config.toml").write_text(text, "utf-8")
    assert cli(site, "run") == 78
    err = capsys.readouterr().err
    assert "digest.subscribers[0]: 'x@example.test' is not a deliverable" in err
    assert "special-use" in err
    assert not (site / "feeds" / "rss.xml").exists()


def test_the_subscribe_form_refuses_it_the_same_way(config):
    with running(config) as web, httpx.Client(base_url=web.base) as client:
        for bad in ("ü@example.com", "x@example.test", "a..b@example.org"):
            answer = client.post("/subscribe", data={"email": bad})
            assert answer.status_code == 400 and 'name="email"' in answer.text, bad
        assert client.post("/subscribe", data={"email": "ok@bücher.de"}).status_code == 200
    conn = open_store(config.db_path)
    try:
        assert get_subscriber(conn, "ok@bücher.de").status == "pending"
        assert get_subscriber(conn, "ü@example.com") is None
    finally:
        conn.close()
    (message,) = outbox_messages(config, "confirm.")
    assert b"To: ok@xn--bcher-kva.de" in message.read_bytes()


def _candidate(rng: random.Random) -> str:
    """An address-like string near the edges of the plain pattern."""
    local_chars = "aZ09_+-." + "abcxyz" * 3
    local = "".join(rng.choice(local_chars) for _ in range(rng.choice((1, 2, 5, 12, 64, 65))))
    labels = []
    for _ in range(rng.randint(1, 4)):
        label = "".join(
            rng.choice("abZ09-" + "mnop" * 3) for _ in range(rng.choice((1, 3, 8, 63, 64)))
        )
        labels.append(rng.choice((label, label, "xn--" + label, label[:2] + "--x", label.upper())))
    tld = rng.choice(
        (
            "org",
            "ID",
            "c0m",
            "a",
            "technology",
            "test",
            "local",
            "invalid",
            "onion",
            "arpa",
            "localhost",
            "x-y",
        )
    )
    return f"{local}@{'.'.join([*labels, tld])}"


def test_the_fast_path_decides_only_what_email_validator_accepts_as_it_is():
    # Plain ASCII addresses skip the library's UTS-46 checks (the engine asks for every
    # copy): whatever the pattern decides, the library must accept with the same result.
    from email_validator import validate_email

    from syndicate.core.addresses import _plain_address

    rng = random.Random(21)
    decided = 0
    for _ in range(20_000):
        address = _candidate(rng)
        plain = _plain_address(address)
        if plain is None:
            continue
        decided += 1
        found = validate_email(address, check_deliverability=False)
        assert (found.normalized, found.ascii_email) == (plain, plain), address
    assert decided > 500  # near the edges; the common case is all fast (below)
    for edge in ("a---b.example.org", "ab--c.example.org", "xn--bcher-kva.de", "a.b-c.io"):
        plain = _plain_address(f"x@{edge}")
        found = validate_email(f"x@{edge}", check_deliverability=False) if plain else None
        assert plain is None or (found.normalized, found.ascii_email) == (plain, plain), edge
    assert (
        _plain_address("Reader.One+news@Mail.Example.CO.ID") == "Reader.One+news@mail.example.co.id"
    )
    for special in ("a@example.test", "a@mail.LOCAL", "a@x.invalid", "a@b.onion"):
        assert _plain_address(special) is None  # the library refuses, and says why
        with pytest.raises(ValueError, match="special-use"):
            deliverable_address(special)
