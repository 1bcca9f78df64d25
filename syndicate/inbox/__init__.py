"""syndicate.inbox."""
