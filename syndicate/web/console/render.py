"""The console's pages: templates/console/*.html.j2 through the one Jinja environment
(core/rendering.py: autoescaped, the user's templates folder first), with the console's
words from console/labels.toml in the site's language (core/labels.py, the same catalog
machinery as the readers' words; a key a language lacks comes from English).

A note after an action (Post/Redirect/Get) travels in the redirect's query as a label key
and one value (`?note=note_added&what=ana@example.org`): only keys of the catalog that start
with `note_` are shown, the value escaped like any text.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from syndicate.config import Config
from syndicate.core.labels import fill, labels_for
from syndicate.core.rendering import one_line, template, text_direction
from syndicate.web.console.access import Session, prefix

CATALOG = "console/labels.toml"
SECTIONS = ("dashboard", "runs", "subscribers", "digests", "articles", "bounces")


def console_labels(config: Config) -> dict[str, str]:
    return labels_for(config.site.language, config.path("templates"), CATALOG)


def number(value: int, lang: str) -> str:
    """A count as the site's language writes it (12.345 in Indonesian, 12,345 in English)."""
    from babel.numbers import format_decimal  # where a page is rendered

    try:
        return format_decimal(value, locale=lang.replace("-", "_"))
    except Exception:  # a tag Babel does not know: plain digits
        return str(value)


def render_page(
    config: Config,
    request: Request,
    session: Session | None,
    name: str,
    *,
    section: str = "",
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    words = console_labels(config)
    lang = config.site.language or "en"
    note_key = request.query_params.get("note", "")
    note = ""
    if note_key.startswith("note_") and note_key in words:
        outcome = request.query_params.get("outcome", "")[:40]
        note = fill(
            words[note_key],
            what=request.query_params.get("what", "")[:300],
            outcome=words.get(f"outcome_{outcome}", outcome),
        )
    context = {
        "lang": lang,
        "dir": text_direction(lang),
        "L": words,
        "site": one_line(config.site.title),
        "site_url": config.site.root,
        "prefix": prefix(request),
        "admin": session.name if session else "",
        "csrf": session.csrf if session else "",
        "section": section,
        "sections": SECTIONS,
        "note": note,
        "num": lambda n: number(int(n or 0), lang),
        "fill": fill,
        **values,
    }
    html = template(config, f"console/{name}.html.j2").render(context)
    return HTMLResponse(html, status_code=status)


def problem_page(
    config: Config,
    request: Request,
    session: Session | None,
    message: str,
    *,
    status: int = 400,
    section: str = "",
) -> HTMLResponse:
    """An action that could not be done: what went wrong, in the words of the code path
    that refused it (the CLI says the same), and a way back."""
    return render_page(
        config, request, session, "problem", section=section, status=status, message=message
    )


def done(request: Request, path: str, note: str, what: str = "", **query: str) -> Response:
    """After an action: back to a page (303: the browser GETs it), with a note."""
    encoded = urlencode({**query, "note": note, "what": what})
    return RedirectResponse(f"{prefix(request)}{path}?{encoded}", status_code=303)
