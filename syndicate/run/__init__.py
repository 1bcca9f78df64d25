"""syndicate.run."""
