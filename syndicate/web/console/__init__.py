"""The operator console under /admin/ of `syndicate serve` (#24): everything an operator does
from a shell, in a browser, behind a login.

- access.py: who may use it: sessions (cookie, expiry), CSRF tokens, the Origin check, the
  lockout after failed logins, the headers of every answer; `guarded` wraps each handler.
- login.py: the login form, logging in and out.
- render.py: the console's pages (templates/console/, words from console/labels.toml in
  the site's language).
- dashboard.py (+ chart.py, the growth chart as SVG), runs.py, subscribers.py, digests.py,
  articles.py (articles and what came back: bounces): the pages and their actions.
- routes.py: the routes, mounted by web/app.py before the site's files.

Every action calls what its CLI command calls (ops/, store/, run/pipeline.py through the
service's runs), so the two never disagree; nothing here writes state of its own but the
sessions.
"""
