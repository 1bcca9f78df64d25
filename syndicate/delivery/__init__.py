"""Getting digests to subscribers: the engine that works through the queue of deliveries
(engine.py), what copies are written with (encoding.py, mail.py) and where they go (files.py,
smtp.py, sendmail.py, transports.py).

Names are imported on first use (PEP 562): `syndicate.mail` imports `delivery.encoding`, and a
run with nothing to deliver must not pay for the engine, smtplib or ssl.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "deliver_one_off": "syndicate.delivery.engine",
    "deliver_queued": "syndicate.delivery.engine",
    "DeliveryError": "syndicate.delivery.transports",
    "Transport": "syndicate.delivery.transports",
    "eml_transport": "syndicate.delivery.transports",
    "maildir_transport": "syndicate.delivery.transports",
    "make_transport": "syndicate.delivery.transports",
    "sendmail_transport": "syndicate.delivery.transports",
    "smtp_transport": "syndicate.delivery.transports",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'syndicate.delivery' has no attribute {name!r}")
    return getattr(import_module(module), name)
