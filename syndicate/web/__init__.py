"""`syndicate serve`: the public face of a site. Issue #10.

An ASGI application (Starlette) under uvicorn, with the scheduler beside it:
- app.py: routes; the feeds folder's files (static.py: strong ETags, 304, gzip, caching
  headers per kind, WebSub Link headers, nothing outside the folder); /health; error pages.
- subscribe.py + confirmation.py: subscribe with double opt-in, confirm, unsubscribe,
  resubscribe, in the site's language.
- api.py: the run API (POST /api/runs, GET /api/runs/<id>, GET /api/status), for the host
  itself or a bearer token, never for another origin.
- jobs.py: scheduled runs, HTTP-triggered runs in the background, and the resumer that
  delivers what a crash or a relay outage left queued.
- server.py: uvicorn settings, logging, signals (SIGTERM: runs finish the current recipient,
  then exit 0).
The front page and the lists of articles and digests are static files a run writes
(site/pages.py), so any web server can serve the feeds folder as well.

Starlette and uvicorn are imported only by `syndicate serve`, never by the other commands:
this package imports nothing itself (hosts.py, which the config's checks use, is plain
standard library).
"""
