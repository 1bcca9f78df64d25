"""syndicate.ops."""
