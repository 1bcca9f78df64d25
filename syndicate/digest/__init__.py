"""syndicate.digest."""
