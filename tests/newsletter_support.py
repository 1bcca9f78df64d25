"""Helpers for the newsletter, preference and topic feed tests (#23): a site with two
newsletters, tagged articles in two languages, and the messages of its Maildir read back."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

from syndicate.cli import main
from tests.conftest import write_config

# One daily newsletter everyone gets by default, one weekly of the "ports" tag.
NEWSLETTERS = """
[[newsletters]]
id = "daily"
name = "The Ledger Daily"
schedule = "0 7 * * *"
default = true

[[newsletters]]
id = "ports-weekly"
name = "Ports Weekly"
schedule = "0 8 * * 1"
tags = ["ports"]
"""


def newsletter_site(root: Path, extra: str = "") -> Path:
    """A site (language id, Asia/Jakarta, one@example.org in the config) with NEWSLETTERS."""
    return write_config(root, extra + NEWSLETTERS)


def story(site: Path, name: str, title: str, tags: tuple[str, ...], lang: str) -> None:
    """A Markdown article with its own summary and key points (no summarizer)."""
    listed = ", ".join(f'"{t}"' for t in tags)
    text = (
        f"---\ntitle: {title}\ntags: [{listed}]\nlang: {lang}\n"
        f"summary: What happened in {title}.\nbullets: [The first point of {title}.]\n---\n\n"
        f"The body of {title}. It says what happened, and where.\n"
    )
    (site / "articles" / name).write_text(text, encoding="utf-8")


def cli(site: Path, *args: str) -> int:
    return main([*args, "--config", str(site / "config.toml")])


def mailbox(site: Path) -> dict[str, list[tuple[str, EmailMessage]]]:
    """address → [(digest id, message)] of every digest in the outbox (Maildir new/), the
    digest id read from the file name, as the engine names it."""
    found: dict[str, list[tuple[str, EmailMessage]]] = {}
    new = site / "outbox" / "new"
    for path in sorted(new.iterdir()) if new.is_dir() else []:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        to = msg["To"].addresses[0].addr_spec
        found.setdefault(to, []).append((path.name.split(".", 1)[0], msg))  # type: ignore[arg-type]
    return found


def parts(msg: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a digest message."""
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return text, html
