"""WebSub: tell a hub that our feeds changed."""

from __future__ import annotations

import urllib.error
import urllib.parse

from syndicate import __version__
from syndicate.site.feeds.entries import GENERATOR


class HubPingError(Exception):
    """A WebSub hub did not accept our publish ping; the message says which hub and why."""


def ping_hub(hub_url: str, topic_urls: list[str], *, timeout: float = 10) -> None:
    """Tell a WebSub hub that our feeds changed (`hub.mode=publish`, one POST per topic).

    Hubs differ in whether they accept several `hub.url` values in one request, so each topic
    gets its own request. All topics are tried; one HubPingError lists every failure.
    """
    import urllib.request  # only when a hub is pinged: it imports http.client, email, ssl

    failures = []
    for topic in topic_urls:
        body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
        request = urllib.request.Request(
            hub_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": f"{GENERATOR}/{__version__}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            failures.append(f"{topic}: HTTP {exc.code} {exc.reason}: {detail}".rstrip(": "))
            continue
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            failures.append(f"{topic}: {reason}")
            continue
        if not 200 <= status < 300:
            failures.append(f"{topic}: HTTP {status}")
    if failures:
        raise HubPingError(
            f"WebSub hub {hub_url} did not accept the publish ping for "
            f"{len(failures)} of {len(topic_urls)} feed(s): " + "; ".join(failures)
        )
