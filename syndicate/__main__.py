"""The `syndicate` script and `python -m syndicate`."""

from syndicate.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
