"""The console's subscriber pages at 100,000 subscribers against the same pages at 1,000
(issue #24: each page ≤ 300 ms at 100,000, ≤ 2× the page at 1,000). Not a test.

    python bench/console.py [--small 1000] [--large 100000] [--times 15]

For each size a site is made, its subscribers seeded in one batch (bench/internals.py: 1 in
20 unsubscribed, 1 in 50 bounced), a console account made with `syndicate admin add`
(password on standard input), and `syndicate serve` started as a process on a free loopback
port. A client logs in through the form, as a browser does, and times each page over HTTP
(the whole request: routing, the session's lookup, the query, rendering): the median of
`--times` requests after one warm-up. Pages: the first page, a page in the middle of the
list, the same two for one status (active), and a search (a substring of the address or
name: this one reads every row, so it grows with the list and is shown without a target).
"""

from __future__ import annotations

import argparse
import http.client
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.internals import seed_subscriber_mix

PASSWORD = "correct horse battery"
CONFIG = """
[site]
title = "Bench"
base_url = "http://127.0.0.1:{port}/"
language = "en"
postal_address = "1 Bench Street"
[digest]
from = "Bench <digest@bench.example.org>"
[schedule]
publish = "0 0 1 1 *"
digest = "0 0 1 1 *"
[server]
port = {port}
access_log = false
requests_per_client_burst = 10000
requests_per_client_second = 10000
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self, root: Path, count: int) -> None:
        self.port = free_port()
        (root / "articles").mkdir(parents=True)
        self.config = root / "config.toml"
        self.config.write_text(CONFIG.format(port=self.port), encoding="utf-8")
        seed_subscriber_mix(self.config, count)
        cli = [sys.executable, "-m", "syndicate", "--config", str(self.config)]
        subprocess.run([*cli, "admin", "add", "bench"], input=PASSWORD + "\n", text=True,
                       check=True, capture_output=True, cwd=REPO)  # fmt: skip
        self.log = (root / "serve.log").open("w")
        self.proc = subprocess.Popen([*cli, "serve"], stderr=self.log, cwd=REPO)
        deadline = time.monotonic() + 30
        while "serving " not in (root / "serve.log").read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit((root / "serve.log").read_text())
            time.sleep(0.1)
        self.cookie = self.login()

    def request(self, method: str, path: str, body: str = "", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body.encode(), headers or {})
            answer = conn.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            conn.close()

    def login(self) -> str:
        _, headers, body = self.request("GET", "/admin/login")
        token = re.search(rb'name="csrf" value="([0-9a-f]+)"', body).group(1).decode()
        login_cookie = next(v for k, v in headers if k == "set-cookie").split(";")[0]
        form = urlencode({"csrf": token, "name": "bench", "password": PASSWORD})
        status, headers, _ = self.request(
            "POST", "/admin/login", form,
            {"Cookie": login_cookie, "Origin": f"http://127.0.0.1:{self.port}",
             "Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert status == 303, status
        cookies = [v for k, v in headers if k == "set-cookie" and v.startswith("syndicate_admin=")]
        return cookies[0].split(";")[0]

    def page_ms(self, path: str, times: int) -> tuple[float, bytes]:
        body = b""
        samples = []
        for i in range(times + 1):
            started = time.perf_counter()
            status, _, body = self.request("GET", path, headers={"Cookie": self.cookie})
            elapsed = (time.perf_counter() - started) * 1000
            assert status == 200, (path, status)
            if i:  # the first one warms the caches
                samples.append(elapsed)
        return statistics.median(samples), body

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def pages(count: int) -> list[tuple[str, str, bool]]:
    """(row, path, whether the ≤ 2× target applies). Every page with a target shows 100
    rows at both sizes (the same page); the search finds 11 rows at 1,000, 100 at 100,000."""
    middle = f"reader{count // 2:06d}@example.org"
    return [
        ("first page of 100", "/admin/subscribers", True),
        ("a page in the middle", f"/admin/subscribers?{urlencode({'after': middle})}", True),
        ("status active, first page", "/admin/subscribers?status=active", True),
        (
            "status active, in the middle",
            f"/admin/subscribers?{urlencode({'status': 'active', 'after': middle})}",
            True,
        ),
        ("search 'pembaca 42' (reads every row)", "/admin/subscribers?q=pembaca+42", False),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=15)
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (args.small, args.large):
            site = Site(Path(tmp) / str(count), count)
            try:
                results[count] = {}
                for row, path, target in pages(count):
                    ms, body = site.page_ms(path, args.times)
                    assert body.count(b"@example.org</td>") >= (100 if target else 1), (row, count)
                    results[count][row] = ms
            finally:
                site.stop()
    small, large = args.small, args.large
    print(f"| subscriber page (console) | {large:,} | {small:,} | ratio | ≤ 300 ms | ≤ 2× |")
    print("|---|---|---|---|---|---|")
    for row, _path, target in pages(large):
        a, b = results[large][row], results[small][row]
        ratio = a / b
        ok_ms = "pass" if a <= 300 else "**FAIL**"
        ok_ratio = ("pass" if ratio <= 2 else "**FAIL**") if target else "—"
        print(f"| {row} | {a:.1f} ms | {b:.1f} ms | {ratio:.2f}× | {ok_ms} | {ok_ratio} |")


if __name__ == "__main__":
    main()
