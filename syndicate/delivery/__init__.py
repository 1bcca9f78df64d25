"""Getting digests to subscribers: transports (where a message goes) and the engine that
works through the queue of deliveries. See transports.py for the exactly-once rules."""

from syndicate.delivery.engine import deliver_one_off, deliver_queued
from syndicate.delivery.transports import (
    DeliveryError,
    Transport,
    eml_transport,
    maildir_transport,
    make_transport,
    smtp_transport,
)

__all__ = [
    "DeliveryError",
    "Transport",
    "deliver_one_off",
    "deliver_queued",
    "eml_transport",
    "maildir_transport",
    "make_transport",
    "smtp_transport",
]
