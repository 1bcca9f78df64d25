"""The command line as argparse sees it: every command, its options and its help, and the
handler that runs it, named as "module:function" (the handlers and what they stand on are
imported when a command runs, as pip and Mercurial resolve their commands: `syndicate --help`
or a mistyped option load none of the readers, renderers and transports).
"""

from __future__ import annotations

import argparse

from syndicate import DEFAULT_CONFIG_NAME, __version__
from syndicate.cli.exits import EXIT_CODES

DEFAULT_LEASE = 60.0  # `deliver --lease`


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help=f"config file (default: ./{DEFAULT_CONFIG_NAME})",
    )
    parser = argparse.ArgumentParser(
        prog="syndicate",
        description="Publish an inbox of articles as RSS/Atom/JSON feeds and an email digest.",
        parents=[common],
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"syndicate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group(sub, common)
    return parser


def _common_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would happen; change nothing in feeds/, the outbox or state/",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing unless something failed")


def _newsletter_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--newsletter", metavar="ID", default=None, help=f"{what} ([[newsletters]] id)")


def _init(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="write a new site's config.toml (with your values, nothing of the sample)",
        description="Write DIR/config.toml, a complete, commented configuration with the values"
        " given and the defaults of every other key (no subscriber, no postal address: set"
        " site.postal_address before the first digest), and make the folders it names. Never"
        " overwrites a config.",
    )
    p.add_argument("folder", nargs="?", default=".", metavar="DIR", help="default: here")
    p.add_argument("--title", required=True, help="the site's name")
    p.add_argument("--url", required=True, help="where feeds/ will be served (site.base_url)")
    p.add_argument("--language", required=True, metavar="TAG", help="BCP 47, e.g. en, pt-BR")
    p.add_argument(
        "--from", dest="sender", required=True, metavar="ADDRESS", help="'Name <news@…>'"
    )
    p.add_argument("--timezone", default="UTC", metavar="ZONE", help="IANA zone (default UTC)")
    p.set_defaults(handler="syndicate.cli.init:cmd_init", needs_config=False)


def _run(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="read the inbox, publish feeds and pages, send the digest when it is due",
        description="Read the inbox and publish feeds and pages; then build and deliver a"
        " digest if one is due (articles in no digest yet, and none made since the latest"
        " firing of schedule.digest), and deliver anything still queued.",
    )
    p.add_argument(
        "--digest",
        choices=("due", "now", "never"),
        default="due",
        help="due (default): only when the schedule says so; now: regardless; never: feeds only",
    )
    p.add_argument(
        "--no-digest",
        dest="digest",
        action="store_const",
        const="never",
        help="same as --digest never",
    )
    _newsletter_option(p, "the digest step for this newsletter only (default: every one)")
    _common_run_options(p)
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="also retry deliveries that already used up their attempts",
    )
    p.set_defaults(handler="syndicate.cli.run:cmd_run")

    p = sub.add_parser(
        "publish",
        parents=[common],
        help="read the inbox, publish feeds and pages; never builds or sends a digest",
    )
    _common_run_options(p)
    p.set_defaults(
        handler="syndicate.cli.run:cmd_run", digest="never", retry_failed=False, newsletter=None
    )


def _serve(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="the service: scheduled runs, the site over HTTP, subscribe pages, run API",
    )
    p.set_defaults(handler="syndicate.cli.serve:cmd_serve")


def _deliver(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "deliver",
        parents=[common],
        help="a delivery worker: send queued digests until the queue is empty",
        description="Claim queued deliveries in batches and send them, until nothing is left"
        " to send (or, with --follow, until stopped). Run several at once; with the state in"
        " PostgreSQL, on several hosts.",
    )
    p.add_argument("--follow", action="store_true", help="keep waiting for new work")
    p.add_argument(
        "--batch",
        type=int,
        default=None,
        help="deliveries claimed at a time (default: 25 per SMTP connection, 500 for a"
        " Maildir or .eml folder)",
    )
    p.add_argument(
        "--lease",
        type=float,
        default=DEFAULT_LEASE,
        help="seconds a claim lasts unless this worker renews it; another host's worker"
        f" takes over a dead worker's claims after it (default {DEFAULT_LEASE:g})",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing unless something failed")
    p.set_defaults(handler="syndicate.cli.deliver:cmd_deliver")


def _articles(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "inspect",
        parents=[common],
        help="show what is understood of one file (no config or state needed)",
    )
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(handler="syndicate.cli.articles:cmd_inspect", config_optional=True)

    p = sub.add_parser(
        "preview", parents=[common], help="render the digest to files, deliver nothing"
    )
    p.add_argument("articles", nargs="*", metavar="ARTICLE", help="default: pending articles")
    p.add_argument(
        "--out",
        default="preview",
        metavar="DIR",
        help="folder (default: preview; each newsletter's in DIR/ID when several are previewed)",
    )
    _newsletter_option(p, "this newsletter's next digest only (default: every one's)")
    p.set_defaults(handler="syndicate.cli.articles:cmd_preview")

    p = sub.add_parser("articles", parents=[common], help="list the stored articles")
    p.add_argument("--json", action="store_true", help="a JSON array on stdout")
    p.set_defaults(handler="syndicate.cli.articles:cmd_articles")

    p = sub.add_parser(
        "retract",
        parents=[common],
        help="take an article out of every feed, page and later digest (or --undo)",
        description="Retract an article: it leaves RSS and JSON Feed, Atom carries an RFC 6721"
        " tombstone, its page becomes a short notice, no later digest shows it, and its id is"
        " never reused. It stays retracted while its file stays in the inbox, until --undo.",
    )
    p.add_argument("article", metavar="ARTICLE", help="inbox path or feed id")
    p.add_argument("--reason", default="", help="why (kept in the state; never published)")
    p.add_argument("--undo", action="store_true", help="publish it again")
    p.set_defaults(handler="syndicate.cli.articles:cmd_retract")

    p = sub.add_parser(
        "rebuild",
        parents=[common],
        help="render every feed, archive page, article page and digest web version again",
    )
    p.set_defaults(handler="syndicate.cli.articles:cmd_rebuild")


def _digest(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("digest", parents=[common], help="skip the backlog, resend a digest")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser(
        "skip",
        parents=[common],
        help="read the inbox, then mark every pending article as digested; sends nothing",
    )
    _newsletter_option(a, "this newsletter's pending articles only (default: every one's)")
    a.set_defaults(handler="syndicate.cli.digest:cmd_skip")
    a = actions.add_parser(
        "resend", parents=[common], help="send an existing digest to one subscriber again"
    )
    a.add_argument(
        "digest_id", metavar="ID", nargs="?", default=None, help="default: the latest digest"
    )
    a.add_argument("--to", required=True, metavar="ADDR", help="a subscriber's address")
    _newsletter_option(a, "the latest digest of this newsletter (default: the first one)")
    a.set_defaults(handler="syndicate.cli.digest:cmd_resend")

    p = sub.add_parser(
        "send-test",
        parents=[common],
        help="send the next (or a given) digest to one address, recorded nowhere",
    )
    p.add_argument("--to", required=True, metavar="ADDR")
    p.add_argument(
        "--digest",
        metavar="ID",
        help="an existing digest (default: the pending articles, else the latest digest)",
    )
    _newsletter_option(p, "this newsletter's next digest only (default: every one's)")
    p.set_defaults(handler="syndicate.cli.digest:cmd_send_test")


def _status(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "status", parents=[common], help="articles, subscribers, deliveries, schedule, last runs"
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    _newsletter_option(p, "this newsletter's digest only (default: every one)")
    p.set_defaults(handler="syndicate.cli.status:cmd_status")


def _subscribers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("subscribers", parents=[common], help="list, add, remove, import …")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser(
        "list", parents=[common], help="every address, its status, name, language, newsletters"
    )
    a = actions.add_parser("add", parents=[common], help="add (or re-activate) an address")
    a.add_argument("address", help="'Name <addr@example.org>' or addr@example.org")
    a.add_argument("--name", default="", help="display name")
    _subscription_options(a, "default: the site's", "default: the default ones")
    a.add_argument(
        "--welcome", action="store_true", help="send the welcome message (with its preference link)"
    )
    a = actions.add_parser(
        "set", parents=[common], help="change what a subscriber holds (newsletters, language, name)"
    )
    a.add_argument("address")
    a.add_argument("--name", default=None, help="display name")
    _subscription_options(a, "'' = the site's", "'' = the default ones")
    a = actions.add_parser(
        "remove",
        parents=[common],
        help="unsubscribe an address (kept, so no list re-adds it; `erase` deletes it)",
    )
    a.add_argument("address")
    a = actions.add_parser(
        "import",
        parents=[common],
        help="add addresses from a CSV file (header: email,name[,status][,language][,newsletters])",
    )
    a.add_argument("file", metavar="FILE.csv")
    a.add_argument("--verbose", action="store_true", help="one line per row (default: a summary)")
    a = actions.add_parser("export", parents=[common], help="write every subscriber as CSV")
    a.add_argument("file", nargs="?", metavar="FILE.csv", help="default: standard output")
    a = actions.add_parser(
        "erase",
        parents=[common],
        help="delete an address and its personal data; keep only a hash that suppresses it",
    )
    a.add_argument("address")
    p.set_defaults(handler="syndicate.cli.subscribers:cmd_subscribers")


def _subscription_options(a: argparse.ArgumentParser, language: str, newsletters: str) -> None:
    a.add_argument("--language", default=None, metavar="TAG", help=f"BCP 47 tag ({language})")
    a.add_argument(
        "--newsletters",
        default=None,
        metavar="ID[,ID…]",
        help=f"the [[newsletters]] it gets, by id ({newsletters})",
    )


def _bounces(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "bounces",
        parents=[common],
        help="apply bounces, complaints and mailto: unsubscribe requests from a mailbox",
        description="Read a Maildir (folder with cur/ and new/) or an mbox file where bounces"
        " come back (delivery.bounce_address): hard bounces and complaints suppress the"
        " address, soft bounces after delivery.soft_bounce_limit digests in a row, and"
        " unsubscribe requests carrying the subscriber's token unsubscribe. A bounce or"
        " complaint counts only when it carries our VERP address (with its MAC) or one of"
        " our Message-IDs: one that merely names a subscriber changes nothing. Reading the"
        " same mailbox again changes nothing more.",
    )
    p.add_argument("path", metavar="PATH", help="Maildir folder or mbox file")
    p.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")
    p.add_argument("--json", action="store_true", help="print what was done as JSON")
    p.set_defaults(handler="syndicate.cli.bounces:cmd_bounces")


def _state(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("state", parents=[common], help="adopt outputs, back up, restore")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser(
        "adopt",
        parents=[common],
        help="rebuild the state from the published feeds and the outbox (after a loss,"
        " a restore, or a move)",
    )
    a.add_argument(
        "--subscribers",
        metavar="FILE.csv",
        help="also apply a `subscribers export` (who unsubscribed is not in the outputs)",
    )
    a.set_defaults(handler="syndicate.cli.state:cmd_adopt")
    a = actions.add_parser(
        "backup", parents=[common], help="a consistent copy of the state (safe while serving)"
    )
    a.add_argument("path", metavar="PATH", help="a file, or a folder for a dated file")
    a.set_defaults(handler="syndicate.cli.state:cmd_backup")
    a = actions.add_parser(
        "restore",
        parents=[common],
        help="put a backup in place of the state, then adopt the outputs newer than it",
    )
    a.add_argument("path", metavar="BACKUP")
    a.set_defaults(handler="syndicate.cli.state:cmd_restore")


def _admin(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "admin",
        parents=[common],
        help="accounts of the operator console (`serve`, /admin/): add, passwd, remove, list",
        description="Accounts that may log in to the console under /admin/ of `syndicate"
        " serve`. The password is asked twice on a terminal, or read as one line from"
        " standard input otherwise; it is kept as an argon2id hash in the state.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("add", "make an account"),
        ("passwd", "give an account a new password (its sessions end)"),
        ("remove", "delete an account (its sessions end)"),
    ):
        a = actions.add_parser(action, parents=[common], help=text)
        a.add_argument("name", metavar="USER")
    actions.add_parser("list", parents=[common], help="the accounts and their open sessions")
    p.set_defaults(handler="syndicate.cli.admin:cmd_admin")


# In the order `--help` lists them.
GROUPS = (
    _init,
    _run,
    _serve,
    _deliver,
    _articles,
    _digest,
    _status,
    _subscribers,
    _bounces,
    _state,
    _admin,
)
