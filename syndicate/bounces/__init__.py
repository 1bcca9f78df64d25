"""What came back: classify one returned message as a bounce, a complaint, an unsubscribe
request or something else, and extract what matches it to a delivery. Pure: no store access
(delivery/returns.py acts on the reports).

- `addresses`: the address forms outgoing mail carries so that what comes back can be matched
  and trusted: the VERP envelope sender and the List-Unsubscribe `mailto:`;
- `report`: what a returned message is (`Kind`, `Report`, a DSN's `Failure`s);
- `message`: reading one message's headers and parts without raising, and the Message-ID and
  VERP token that match it to a delivery;
- `kinds`: the detectors, one per kind (DSN, ARF, unsubscribe request, non-standard bounce,
  challenge-response, auto-reply);
- `parse`: the entry points: one message's bytes, a Maildir, an mbox.

What matches a report to a delivery, strongest first: the VERP token in the address the
bounce was sent to (`bounces+<digest>.<subscriber-key>.<mac>@domain`, see `verp_address`;
verified with the site's secret by the caller, since anyone can mail that address), the
original Message-ID (from the attached message/rfc822 or text/rfc822-headers part, a
"Message-ID:" line in a plain-text bounce's quoted copy, or In-Reply-To/References), then
the recipient address.

`from syndicate.bounces import …` (the names below) is the public surface: the CLI,
delivery/engine.py, delivery/returns.py and the tests use it.
"""
