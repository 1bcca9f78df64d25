"""syndicate.site."""
