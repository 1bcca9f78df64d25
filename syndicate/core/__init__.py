"""syndicate.core."""
