"""Requests per second for a feed over HTTP: `syndicate serve` (Starlette + uvicorn) against
the stdlib server it replaced, measured in the same run. Not a test.

    python bench/serve_http.py [--seconds 4] [--articles 50]

A site of N synthetic articles is published once (atom.xml of ~N full entries). Each server
runs as its own process; the load comes from 2 client processes over loopback, each with
one connection it keeps alive when the server allows (the old server speaks HTTP/1.0 and
closes after every response, so its clients reconnect each time, as real pollers must).
The old server is rebuilt from git (`git show 50a0f6d:syndicate/service.py`), not kept in
the tree; without git history its rows are left out.

Scenarios: a full GET of atom.xml; the same with `Accept-Encoding: gzip` (the new server
sends the cached gzip body; the old one cannot); a conditional GET that gets a 304 (the old
server only knows If-Modified-Since; the new one is asked with If-None-Match). Ratios are
against the old server's full GET. The machine is shared and has 2 cores, which the client
processes share with the server: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OLD_COMMIT = "50a0f6d"
OLD_SERVER = """
import sys, types
from syndicate.config import load_config
source = sys.stdin.read()
module = types.ModuleType("old_service")
exec(compile(source, "old_service.py", "exec"), module.__dict__)
server = module.make_server(load_config(sys.argv[1]))
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_site(root: Path, articles: int, port: int) -> Path:
    (root / "articles").mkdir(parents=True)
    # Varied words (a seeded shuffle of a few thousand made-up ones), so the feed compresses
    # about as much as real prose does, not like one sentence repeated.
    rng = random.Random(7)
    letters = "abdegiklmnoprstuy"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(3000)]
    for i in range(articles):
        paragraphs = [" ".join(rng.choices(vocabulary, k=80)).capitalize() + "." for _ in range(8)]
        body = "\n\n".join(paragraphs)
        (root / "articles" / f"a{i:04d}.md").write_text(
            f"---\ntitle: Artikel nomor {i}\nauthor: Penulis {i}\n"
            f"date: 2026-11-{1 + i % 28:02d}T08:00:00+07:00\n---\n{body}\n",
            encoding="utf-8",
        )
    config = root / "config.toml"
    config.write_text(
        '[site]\ntitle = "Bench"\nbase_url = "http://127.0.0.1:%d/"\nlanguage = "id"\n'
        f'[paths]\ntemplates = "{(REPO / "templates").as_posix()}"\n'
        "[server]\nport = %d\naccess_log = false\n" % (port, port),
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "syndicate", "publish", "--config", str(config)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return config


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def client(port: int, headers: dict, seconds: float, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    count = size = 0
    statuses: set[int] = set()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        conn.putrequest("GET", "/atom.xml", skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        response = conn.getresponse()
        size += len(response.read())
        statuses.add(response.status)
        count += 1
        if response.will_close:
            conn.close()
    conn.close()
    out.put((count, size, statuses))


def load(port: int, headers: dict, seconds: float, workers: int = 2) -> tuple[float, float, set]:
    out: mp.Queue = mp.Queue()
    procs = [mp.Process(target=client, args=(port, headers, seconds, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    count = sum(r[0] for r in results)
    size = sum(r[1] for r in results)
    statuses = set().union(*(r[2] for r in results))
    return count / seconds, size / max(count, 1), statuses


def validators(port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/atom.xml")
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.getheader("ETag") or "", response.getheader("Last-Modified") or ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--articles", type=int, default=50)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="syndicate-bench-http-"))
    rows: list[tuple[str, float, float, set]] = []
    procs: list[subprocess.Popen] = []
    try:
        new_port = free_port()
        config = make_site(root, args.articles, new_port)
        old_source = subprocess.run(
            ["git", "show", f"{OLD_COMMIT}:syndicate/service.py"],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if old_source.returncode == 0:
            old_config = root / "old.toml"
            old_port = free_port()
            old_config.write_text(
                config.read_text().replace(f"port = {new_port}", f"port = {old_port}")
            )
            old = subprocess.Popen(
                [sys.executable, "-c", OLD_SERVER, str(old_config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                cwd=REPO,
            )
            procs.append(old)
            old.stdin.write(old_source.stdout)
            old.stdin.close()
            wait_port(old_port)
            _, last_modified = validators(old_port)
            rows.append(("stdlib http.server, GET", *load(old_port, {}, args.seconds)))
            ims = {"If-Modified-Since": last_modified}
            rows.append(("stdlib, If-Modified-Since → 304", *load(old_port, ims, args.seconds)))
            old.send_signal(signal.SIGINT)
        else:
            print("(no git history: the old server is not measured)")
        new = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        procs.append(new)
        wait_port(new_port)
        etag, _ = validators(new_port)
        rows.append(("serve (uvicorn), GET", *load(new_port, {}, args.seconds)))
        gz = {"Accept-Encoding": "gzip"}
        rows.append(("serve, GET gzip", *load(new_port, gz, args.seconds)))
        inm = {"If-None-Match": etag}
        rows.append(("serve, If-None-Match → 304", *load(new_port, inm, args.seconds)))
        new.send_signal(signal.SIGTERM)
        new.wait(15)
        # The default configuration logs every request (one stderr line each).
        logged_port = free_port()
        logged_config = root / "logged.toml"
        logged_config.write_text(
            config.read_text()
            .replace(f"port = {new_port}", f"port = {logged_port}")
            .replace("access_log = false", "access_log = true")
        )
        logged = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "serve", "--config", str(logged_config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        procs.append(logged)
        wait_port(logged_port)
        rows.append(("serve + access log, GET gzip", *load(logged_port, gz, args.seconds)))
        rows.append(("serve + access log, 304", *load(logged_port, inm, args.seconds)))
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(root, ignore_errors=True)
    base = rows[0][1]
    size = rows[0][2]  # bytes of the full GET: the feed itself
    print(f"atom.xml: {args.articles} articles, {size / 1024:.0f} KiB; {os.cpu_count()} cores")
    print(f"{'scenario':<34} {'req/s':>8} {'× baseline':>10} {'bytes/resp':>11}  status")
    for name, rate, per, statuses in rows:
        print(
            f"{name:<34} {rate:>8.0f} {rate / base:>10.2f} {per:>11.0f}  "
            + ",".join(map(str, sorted(statuses)))
        )


if __name__ == "__main__":
    main()
