"""What came back to `delivery.bounce_address`, read and applied, in the order it is handled:

- `marks`: what outgoing mail carries so that what comes back can be matched and trusted:
  the VERP envelope sender and our Message-IDs (each with a MAC made with the state's
  secret), and the List-Unsubscribe `mailto:` with the subscriber's own token;
- `message`: reading one returned message's headers and parts without raising;
- `returned`: what a returned message is (`Kind`, `Report`, a DSN's `Failure`s);
- `parse`: classifying one message (DSN, ARF complaint, unsubscribe request, non-standard
  bounce, challenge-response, auto-reply), and reading a Maildir or an mbox;
- `apply`: the reports applied to the state, only with proof that they are about a message
  we sent (our VERP address or one of our Message-IDs, their MACs checked).
"""
