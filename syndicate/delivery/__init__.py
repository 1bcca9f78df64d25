"""Getting digests to subscribers, in the order a message travels:

- `copies`: a claimed delivery → its bytes (the digest encoded once, personalized per copy);
- `engine`: the one loop that claims, hands over and records, for `run`, the service and
  `syndicate deliver` alike; `outcomes`: what the relay's answer means for the delivery;
- `transports`: the vocabulary and the one registry of transports: `folders` (Maildir, .eml),
  `smtp`, `sendmail`; `encoding`: the byte-level MIME helpers the templates are built with;
- `returns`: what comes back (bounces, complaints) applied to the state.
"""
