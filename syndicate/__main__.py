"""The `syndicate` script and `python -m syndicate`.

`run` and `publish` fork the child that lists the inbox (early_listing.py) before anything
else is imported: the CLI's own imports (argparse, the command modules) then happen while
the child lists, instead of before it starts.
"""

import sys


def main() -> int:
    from syndicate.early_listing import start

    arguments = sys.argv[1:]
    early = start(arguments)
    from syndicate.cli import run_command

    return run_command(arguments, early)


if __name__ == "__main__":
    raise SystemExit(main())
