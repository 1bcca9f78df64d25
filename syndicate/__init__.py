"""syndicate: articles in an inbox → RSS/Atom/JSON feeds and an inlined-CSS email digest.

The package's modules follow one run's data flow: config → inbox and readers → text → store
→ site (feeds and pages) → digest → delivery → bounces; run/ holds one run together, ops/
what an operator does beyond a run, web/ the service and cli/ the commands.
"""

__all__ = ["DEFAULT_CONFIG_NAME", "__version__"]
__version__ = "0.1.0"
DEFAULT_CONFIG_NAME = "config.toml"  # in the current folder, unless --config says otherwise
