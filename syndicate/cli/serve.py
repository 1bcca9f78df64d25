"""`syndicate serve`: the scheduled service plus HTTP (syndicate/web).

The web package is imported when the command runs: it stands on starlette and uvicorn
(and asyncio), which no other command needs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from syndicate.web.server import serve

if TYPE_CHECKING:
    from syndicate.config import Config


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    return serve(config)
