"""What every handler shares: the service's pages (templates/service.html.j2, in the site's
language), security headers, and reading request bodies within limits.

uvicorn enforces the size of a request's head (h11's limit) and server.py its read time;
bodies are read here, with a size cap per endpoint and a time limit, so a slow or endless
upload costs one short-lived task, never a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from syndicate.config import Config
from syndicate.core.labels import labels_for
from syndicate.site.pages import page_context, render

BODY_TIMEOUT = 10.0  # seconds to receive a whole request body
FORM_LIMIT = 8 * 1024  # bytes: the subscribe form, one-click unsubscribe posts, API calls


def site_origin(config: Config) -> str:
    parts = urlsplit(config.site.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(config: Config, *, html: bool) -> dict[str, str]:
    """Headers for every response; pages also get a Content-Security-Policy that allows
    nothing but their own inline styles, images and forms posting to the site: article text
    that slipped through sanitizing still could not run or load anything."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if html:
        headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:;"
            f" form-action 'self' {site_origin(config)}; base-uri 'none'; frame-ancestors 'none'"
        )
        headers["X-Frame-Options"] = "DENY"
    return headers


def page(
    config: Config,
    status: int,
    *,
    title_key: str,
    message: Iterable[str] = (),
    button: str = "",
    action: str = "",
    hidden: Iterable[tuple[str, str]] = (),
    show_subscribe: bool = False,
    email_value: str = "",
    second: tuple[str, str, str] | None = None,
) -> HTMLResponse:
    """One of the service's pages. Never cached (they hold personal addresses and answer
    for tokens); never sends a Referer (their URLs hold tokens)."""
    labels = page_context(config)["labels"]
    html = render(
        config,
        "service.html.j2",
        title=labels[title_key],
        message=list(message),
        button=button,
        action=action,
        hidden=list(hidden),
        show_subscribe=show_subscribe,
        email_value=email_value,
        second_question=second[0] if second else "",
        second_action=second[1] if second else "",
        second_button=second[2] if second else "",
    )
    return HTMLResponse(html, status_code=status, headers=page_headers(config))


def page_headers(config: Config) -> dict[str, str]:
    """The headers of the service's pages: never cached (they hold personal addresses and
    answer for tokens), never a Referer (their URLs hold tokens)."""
    return {
        **security_headers(config, html=True),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }


def too_many_page(config: Config, retry_after: int, message_key: str) -> HTMLResponse:
    """429: a page in the site's language saying to come back later, with Retry-After."""
    answer = page(config, 429, title_key="too_many_title", message=[labels(config)[message_key]])
    answer.headers["Retry-After"] = str(max(1, retry_after))
    return answer


def labels(config: Config) -> dict[str, str]:
    return labels_in(config, config.site.language)


def labels_in(config: Config, lang: str) -> dict[str, str]:
    return labels_for(lang, config.path("templates"))


async def read_body(request: Request, limit: int = FORM_LIMIT) -> bytes:
    """The whole body, at most `limit` bytes (413 beyond) within BODY_TIMEOUT (408)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"request body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0

    async def collect() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"request body larger than {limit} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(collect(), BODY_TIMEOUT)
    except TimeoutError:
        raise HTTPException(408, "request body not received in time") from None
    return b"".join(chunks)


class Form(dict[str, str]):
    """A form's fields, the first value of each; `every(name)` gives all of a field's values
    (checkboxes of one name)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__({key: values[0] for key, values in fields.items() if values})
        self.fields = fields

    def every(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))


async def read_form(request: Request) -> Form:
    """An urlencoded form (what browsers send by default). Parsed with the standard library:
    multipart uploads are nothing this service takes."""
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await read_body(request)
    if ctype not in ("", "application/x-www-form-urlencoded"):
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    try:
        text = body.decode("utf-8", "replace")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise HTTPException(400, "too many form fields") from None
    return Form(fields)
