"""`syndicate serve`: the scheduled service plus HTTP (syndicate/web)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndicate.config import Config


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="the service: scheduled runs, the site over HTTP, subscribe pages, run API",
    )
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from syndicate.web.server import serve  # starlette, uvicorn: only for `serve`

    return serve(config)
