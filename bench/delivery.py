"""Issue #11's delivery, history and start-up numbers, each against a baseline measured in the
same run (the machine is shared and noisy: only ratios within one run mean anything).

    python bench/delivery.py [--quick] [--only ROW,…] [--python PATH] [--repeats N]
                             [--rss2email PATH/bin/r2e]

Rows: maildir (10,000 subscribers vs rss2email, when given its `r2e` in a venv of its own,
and vs the durable floors: fsync + link per file, 8 threads fsyncing, one syncfs per 2,000),
large (100,000: peak RSS, time per message vs 10,000), cur
(50,000 files in cur/), smtp (1,000 messages over one and four connections vs raw smtplib on
one persistent connection, to a fast sink in its own process), copy (building one
subscriber's copy vs `bytes.replace` of the per-recipient strings), history (no-op and
one-edit runs at 50 / 1,000 / 10,000 stored articles; ingest per article 1,000 → 10,000; the
no-op vs importing feedgen, jinja2, premailer and apscheduler), help (`syndicate --help` vs
`python -c pass`).

syndicate is driven as a user drives it: a site folder, `syndicate run` as a child process
(its wall time, CPU and peak RSS are its own, from wait4). `--python` measures another
checkout's venv (e.g. the code before #11) with the same script. SMTP goes to a sink that
answers at once (client and sink then share the 2 CPUs, so parallel connections cannot
help) and to one that takes 10 ms a message, as a real relay does. Not part of the tests.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "articles" / "000_6bd5c2adaf47451d.txt"


# ---------------------------------------------------------------- children


# Children never start in the repository: `python -m syndicate` there would import this
# checkout's package whatever venv `--python` names.
NEUTRAL = Path(tempfile.gettempdir())


def measure(argv: list[str], cwd: Path | None = None, ok=(0,)) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS MiB, stdout) of one child, from wait4."""
    cwd = cwd or NEUTRAL
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    t_out = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()))
    t_err = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))
    t_out.start(), t_err.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    t_out.join(), t_err.join()
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in ok:
        raise RuntimeError(f"{argv} exited {code}: {b''.join(err_chunks)[-2000:].decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, b"".join(out_chunks).decode()


def best(times: int, argv: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(best wall seconds, its peak RSS) of `times` runs."""
    runs = [measure(argv, cwd) for _ in range(times)]
    wall, _cpu, rss, _out = min(runs)
    return wall, rss


class Bench:
    def __init__(self, python: str, quick: bool, repeats: int) -> None:
        self.python, self.quick, self.repeats = python, quick, repeats
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.roots: list[Path] = []
        self.rss2email = ""

    def root(self, label: str) -> Path:
        path = Path(
            tempfile.mkdtemp(prefix=f"syndicate-bench-{label}-", dir=os.environ.get("TMPDIR"))
        )
        self.roots.append(path)
        return path

    def syndicate(self, config: Path, *args: str, ok=(0,)) -> tuple[float, float, float, str]:
        return measure(
            [self.python, "-m", "syndicate", *args, "--config", str(config)], config.parent, ok
        )

    def script(self, code: str, *args: object) -> str:
        return measure([self.python, "-c", code, *map(str, args)])[3]

    def row(self, work: str, ours: str, base: str, ratio: float | None, target: str) -> None:
        self.rows.append((work, ours, base, "" if ratio is None else f"{ratio:,.2f}×", target))
        print(f"  {work}: {ours} | {base} | {self.rows[-1][3]} | {target}", file=sys.stderr)


# ---------------------------------------------------------------- sites


def write_site(root: Path, articles: int, delivery: dict | None = None) -> Path:
    inbox = root / "articles"
    inbox.mkdir(parents=True, exist_ok=True)
    kept = [p for p in SAMPLE.read_text(encoding="utf-8").split("\n") if p.strip()][:12]
    for n in range(articles):
        text = f"Kabar {n}: kerja sama militer Korea Utara dan Rusia\n\n" + "\n\n".join(kept)
        (inbox / f"kabar-{n:06d}.txt").write_text(text + f"\n\nCatatan redaksi {n}.\n", "utf-8")
    lines = [
        "[site]", 'title = "Kabar Bench"', 'base_url = "https://news.example.org/"',
        'language = "id"', 'timezone = "Asia/Jakarta"',
        'postal_address = "Jl. Contoh No. 1, Jakarta 10110, Indonesia"',
        "[paths]", f'templates = "{(REPO / "templates").as_posix()}"',
        "[digest]", 'from = "Kabar Bench <digest@news.example.org>"', "max_articles = 15",
        "[delivery]",
    ]  # fmt: skip
    for key, value in {"method": "maildir", **(delivery or {})}.items():
        lines.append(f"{key} = {value!r}".replace("'", '"'))
    config = root / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


SEED_SUBSCRIBERS = """
import sys
from datetime import datetime
from syndicate import store
from syndicate.config import load_config
config = load_config(sys.argv[1])
conn = store.open_store(config.db_path)
conn.execute("PRAGMA synchronous=OFF")  # seeding only
now = datetime.now(config.site.tz)
for i in range(int(sys.argv[2])):
    store.add_subscriber(conn, f"reader{i:06d}@example.org", f"Pembaca {i}", now, resubscribe=True)
conn.close()
"""

SEED_ARTICLES = """
import hashlib, sys
from datetime import datetime, timedelta
from pathlib import Path
from syndicate import store
from syndicate.config import load_config
from syndicate.ingest import understand
config = load_config(sys.argv[1])
inbox = config.path("inbox")
files = sorted(inbox.iterdir())
template = understand(files[0], config)
conn = store.open_store(config.db_path)
conn.execute("PRAGMA synchronous=OFF")  # seeding only
start = datetime.now(config.site.tz) - timedelta(days=30)
for i, path in enumerate(files):
    data = path.read_bytes()
    article = template.with_(source=path.name, title=data.split(b"\\n", 1)[0].decode())
    store.save_article(conn, article, file_hash=hashlib.sha256(data).hexdigest(),
                       now=start + timedelta(seconds=i), domain=config.site.domain)
store.skip_pending(conn, datetime.now(config.site.tz))
conn.close()
"""


def delivery_site(b: Bench, label: str, subscribers: int, delivery: dict | None = None) -> Path:
    config = write_site(b.root(label), 15, delivery)
    b.syndicate(config, "run", "--no-digest", "--quiet")
    b.script(SEED_SUBSCRIBERS, config, subscribers)
    return config


def sample_message(b: Bench) -> bytes:
    config = delivery_site(b, "sample", 1)
    b.syndicate(config, "run", "--digest", "now", "--quiet")
    (message,) = (config.parent / "outbox" / "new").iterdir()
    return message.read_bytes()


# ---------------------------------------------------------------- durable floors


def floor(kind: str, root: Path, count: int, data: bytes) -> float:
    """Messages per second written durably into a Maildir-like pair of folders."""
    tmp, new = root / "tmp", root / "new"
    tmp.mkdir(parents=True), new.mkdir()

    def write(i: int, sync: bool) -> None:
        fd = os.open(tmp / str(i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        if sync:
            os.fsync(fd)
        os.close(fd)

    def link(i: int) -> None:
        os.link(tmp / str(i), new / str(i))
        os.unlink(tmp / str(i))

    def dirsync(folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    start = time.perf_counter()
    if kind == "serial":
        for i in range(count):
            write(i, True)
            link(i)
            dirsync(new)
    elif kind == "threads":
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: (write(i, True), link(i), dirsync(new)), range(count)))
    else:
        libc = ctypes.CDLL(None, use_errno=True)
        for batch in range(0, count, 2000):
            ids = range(batch, min(count, batch + 2000))
            for i in ids:
                write(i, False)
            fd = os.open(tmp, os.O_RDONLY)
            libc.syncfs(fd)
            os.close(fd)
            for i in ids:
                link(i)
            dirsync(new)
    return count / (time.perf_counter() - start)


# ---------------------------------------------------------------- rows


def row_maildir(b: Bench) -> None:
    n = 1000 if b.quick else 10_000
    data = sample_message(b)
    config = delivery_site(b, "maildir", n)
    wall, cpu, rss, _ = b.syndicate(config, "run", "--digest", "now", "--quiet")
    sent = len(os.listdir(config.parent / "outbox" / "new"))
    shutil.rmtree(config.parent)
    rate = sent / wall
    ours = f"{rate:,.0f} msg/s ({cpu * 1000 / sent:.2f} ms CPU/msg, {rss:.0f} MB)"
    work = f"Maildir delivery, {n:,} subscribers ({len(data) / 1000:.0f} KB each)"
    if b.rss2email:
        r2e, size = rss2email_rate(b, b.rss2email, min(n, 2000), len(data))
        base = f"rss2email {r2e:,.0f} msg/s ({size / 1000:.0f} KB each)"
        b.row(work, ours, base, rate / r2e, "≥ 10×")
    else:
        b.row(work, ours, "— (rss2email: --rss2email PATH)", None, "≥ 10× rss2email")
    for kind, label in (
        ("serial", "fsync + link per file"),
        ("threads", "8 threads fsyncing"),
        ("syncfs", "one syncfs per 2,000"),
    ):
        root = b.root(kind)
        base = floor(kind, root, n, data)
        shutil.rmtree(root)
        b.row(f"  … vs the floor: {label}", "", f"{base:,.0f} msg/s", rate / base, "")


def rss2email_rate(b: Bench, r2e: str, count: int, message_bytes: int) -> tuple[float, int]:
    """rss2email (in its own venv: `--rss2email PATH/bin/r2e`) doing the same job: one
    digest message of 15 entries to each of `count` addresses, into a Maildir. rss2email has
    no subscriber list, so each address is a `[feed.N]` section on one local feed file with
    `digest = True` (one message per feed and run) and `html-mail = True`; entries are sized
    so a message is about as large as syndicate's. Returns (messages/s, message size)."""
    import html

    root = b.root("rss2email")
    kept = "".join(f"<p>{html.escape(p)}</p>" for p in SAMPLE.read_text("utf-8").split("\n") if p)
    size = max(500, (message_bytes // 15 - 1300) * 3 // 4)
    body = (kept * (size // max(1, len(kept)) + 1))[:size]
    items = "".join(
        f"<item><title>Kabar {i}</title><link>https://news.example.org/a/{i}</link>"
        f"<guid>https://news.example.org/a/{i}</guid>"
        f"<pubDate>Mon, 05 Jan 2026 07:{i:02d}:00 +0000</pubDate>"
        f"<description>{html.escape(body)}</description></item>"
        for i in range(15)
    )
    feed = root / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Kabar'
        f"</title><link>https://news.example.org/</link><description>b</description>{items}"
        "</channel></rss>",
        "utf-8",
    )
    lines = [
        "[DEFAULT]", "from = digest@news.example.org", "email-protocol = maildir",
        f"maildir-path = {root}", "maildir-mailbox = Maildir", "html-mail = True",
        "digest = True", "same-server-fetch-interval = 0", "verbose = error",
    ]  # fmt: skip
    for n in range(count):
        lines += [f"[feed.s{n}]", f"url = {feed}", f"to = reader{n:06d}@example.org"]
    config = root / "rss2email.cfg"
    config.write_text("\n".join(lines) + "\n", "utf-8")
    os.environ.update(XDG_CONFIG_HOME=str(root), XDG_DATA_HOME=str(root))
    wall, *_ = measure([r2e, "-c", str(config), "-d", str(root / "db.json"), "run"], root)
    new = list((root / "Maildir" / "new").iterdir())
    size_made = sum(p.stat().st_size for p in new[:20]) // max(1, min(20, len(new)))
    shutil.rmtree(root)
    return len(new) / wall, size_made


def row_large(b: Bench) -> None:
    small, large = (1000, 10_000) if b.quick else (10_000, 100_000)
    per = {}
    for n in (small, large):
        config = delivery_site(b, f"large{n}", n)
        wall, _cpu, rss, _ = b.syndicate(config, "run", "--digest", "now", "--quiet")
        per[n] = (wall / n, rss)
        shutil.rmtree(config.parent)
    b.row(
        f"Maildir delivery, {large:,} subscribers",
        f"{per[large][0] * 1000:.3f} ms/msg, peak RSS {per[large][1]:.0f} MB",
        f"{per[small][0] * 1000:.3f} ms/msg at {small:,} ({per[small][1]:.0f} MB)",
        per[large][0] / per[small][0],
        "≤ 1.2× and ≤ 150 MB",
    )


def row_cur(b: Bench) -> None:
    n, files = (100, 50_000) if b.quick else (1_000, 50_000)
    per = {}
    for fill in (0, files):
        config = delivery_site(b, f"cur{fill}", n)
        cur = config.parent / "outbox" / "cur"
        for sub in ("tmp", "new", "cur"):
            (config.parent / "outbox" / sub).mkdir(parents=True, exist_ok=True)
        for i in range(fill):
            (cur / f"1700000000.M{i}P4242.host:2,S").touch()
        wall, *_ = b.syndicate(config, "run", "--digest", "now", "--quiet")
        idle, _ = best(
            b.repeats, [b.python, "-m", "syndicate", "run", "--quiet", "--config", str(config)]
        )
        per[fill] = max(0.0, wall - idle) / n
        shutil.rmtree(config.parent)
    b.row(
        f"Maildir delivery with {files:,} files in cur/",
        f"{per[files] * 1000:.3f} ms/msg",
        f"cur/ empty: {per[0] * 1000:.3f} ms/msg",
        per[files] / per[0],
        "≤ 1.2× (no scan of cur/)",
    )


SINK = r"""
import os, socket, sys, threading, time
END = b"\r\n.\r\n"
DELAY = float(sys.argv[1])  # seconds the "relay" works on each message before its 250
def serve(conn):
    with conn:
        conn.sendall(b"220 sink ESMTP\r\n")
        buf = b""
        while True:
            while b"\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            line, buf = buf.split(b"\r\n", 1)
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go\r\n")
                data = b"\r\n" + buf
                while (i := data.find(END)) < 0:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data = data[-4:] + chunk
                buf = data[i + 5:]
                if DELAY:
                    time.sleep(DELAY)
                conn.sendall(b"250 ok\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print(sock.getsockname()[1], flush=True)
if os.fork() == 0:
    pass  # two processes accept on one socket: the sink uses both cores
while True:
    conn, _ = sock.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""

RAW_SMTPLIB = """
import smtplib, sys, threading, time
port, n, conns, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = open(path, "rb").read()
def work(k):
    client = smtplib.SMTP("127.0.0.1", port)
    for i in range(k, n, conns):
        client.sendmail("digest@news.example.org", [f"reader{i:06d}@example.org"], data)
    client.quit()
start = time.perf_counter()
threads = [threading.Thread(target=work, args=(k,)) for k in range(conns)]
[t.start() for t in threads]; [t.join() for t in threads]
print(n / (time.perf_counter() - start))
"""


def smtp_rates(b: Bench, n: int, sample: Path, delay: float) -> tuple[float, float, dict]:
    """(raw smtplib on 1 connection, on 4, syndicate by connections) against a sink that
    takes `delay` seconds per message."""
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(delay)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        port = int(sink.stdout.readline())
        raw1 = float(b.script(RAW_SMTPLIB, port, n, 1, sample))
        raw4 = float(b.script(RAW_SMTPLIB, port, n, 4, sample))
        rates = {}
        for conns in (1, 4):
            smtp = {"method": "smtp", "smtp_port": port}
            if conns > 1:
                smtp["smtp_connections"] = conns
            try:
                config = delivery_site(b, f"smtp{conns}", n - 1, smtp)
            except RuntimeError as exc:  # a version without delivery.smtp_connections
                if "unknown key" not in str(exc):
                    raise
                rates[conns] = None
                continue
            wall, *_ = b.syndicate(config, "run", "--digest", "now", "--quiet")
            rates[conns] = n / wall
            shutil.rmtree(config.parent)
    finally:
        os.killpg(sink.pid, 9)  # the sink and its forked twin
        sink.wait()
    return raw1, raw4, rates


def row_smtp(b: Bench) -> None:
    n = 200 if b.quick else 1000
    sample = b.root("smtp-sample") / "digest.eml"
    sample.write_bytes(sample_message(b))
    raw1, raw4, rates = smtp_rates(b, n, sample, 0.0)
    b.row(
        f"SMTP to a loopback sink, {n:,} (whole run), one connection",
        f"{rates[1]:,.0f} msg/s",
        f"raw smtplib, persistent: {raw1:,.0f} msg/s",
        rates[1] / raw1,
        "≥ 0.9×",
    )
    _four(b, "  … 4 connections (2 CPUs: client and sink share them)", rates, raw1, raw4)
    n = 100 if b.quick else 500
    raw1, raw4, rates = smtp_rates(b, n, sample, 0.01)
    b.row(
        f"SMTP, {n:,}, to a relay taking 10 ms a message, one connection",
        f"{rates[1]:,.0f} msg/s",
        f"raw smtplib, persistent: {raw1:,.0f} msg/s",
        rates[1] / raw1,
        "≥ 0.9×",
    )
    _four(b, "  … 4 connections", rates, raw1, raw4)


def _four(b: Bench, label: str, rates: dict, raw1: float, raw4: float) -> None:
    base = f"raw smtplib, 1 connection: {raw1:,.0f} msg/s (4: {raw4:,.0f})"
    if rates[4] is None:
        b.row(label, "n/a (no delivery.smtp_connections)", base, None, "≥ 2×")
    else:
        b.row(label, f"{rates[4]:,.0f} msg/s", base, rates[4] / raw1, "≥ 2×")


COPIES = """
import sys, time
from datetime import datetime
from syndicate import store
from syndicate.config import load_config
from syndicate.digest import render_digest
from syndicate.model import Subscriber, capped_digest
config = load_config(sys.argv[1]); n = int(sys.argv[2])
conn = store.open_store(config.db_path)
articles = store.undigested_articles(conn)
digest = capped_digest("2026-01-01-001", datetime.now(config.site.tz), articles, 15)
rendered = render_digest(digest, config, web_url=config.site.base_url + "digests/x.html")
subs = [Subscriber(f"reader{i:06d}@example.org", f"Pembaca {i}", f"tok{i:029d}")
        for i in range(n + 1)]
mid = lambda s: f"<2026-01-01-001.{hash(s.email) & 0xffffffffff:020x}@news.example.org>"
url = lambda s: f"{config.site.base_url}unsubscribe/{s.token}"
try:
    from syndicate.mail import Recipient, build_template
    template = build_template(rendered, config)
    build = lambda s: template.copy(Recipient(s.email, s.name, mid(s), url(s)))
except ImportError:  # before #11: a full EmailMessage per subscriber
    from syndicate.mail import MAIL_POLICY, build_message
    build = lambda s: build_message(
        rendered, s, config, message_id=mid(s), unsubscribe_url=url(s)
    ).as_bytes(policy=MAIL_POLICY)
first = build(subs[0])
start = time.perf_counter()
for s in subs[1:]:
    build(s)
built = (time.perf_counter() - start) / n
tokens = [subs[0].email.encode(), mid(subs[0]).encode(), subs[0].token.encode()]
start = time.perf_counter()
for i in range(n):
    data = first
    for t in tokens:
        data = data.replace(t, t[:-3] + b"%03d" % (i % 1000))
replaced = (time.perf_counter() - start) / n
print(built, replaced)
"""


def row_copy(b: Bench) -> None:
    n = 300 if b.quick else 3000
    config = write_site(b.root("copy"), 15)
    b.syndicate(config, "run", "--no-digest", "--quiet")
    built, replaced = map(float, b.script(COPIES, config, n).split())
    b.row("building one subscriber's copy", f"{built * 1000:.3f} ms ({1 / built:,.0f}/s)",
          f"bytes.replace of 3 tokens: {replaced * 1000:.3f} ms",
          built / replaced, "≥ 5,000/s")  # fmt: skip


def row_history(b: Bench) -> None:
    sizes = (50, 300, 1000) if b.quick else (50, 1000, 10_000)
    noop, edit, ingest = {}, {}, {}
    for size in sizes:
        config = write_site(b.root(f"history{size}"), size)
        b.script(SEED_ARTICLES, config)
        b.syndicate(config, "run", "--no-digest", "--quiet")  # the first publish
        old = time.time() - 60
        for p in (config.parent / "articles").iterdir():
            os.utime(p, (old, old))  # written a while ago, as an inbox's files are
        b.syndicate(config, "run", "--no-digest", "--quiet")
        noop[size] = best(
            b.repeats, [b.python, "-m", "syndicate", "run", "--quiet", "--config", str(config)]
        )
        edits = []
        for k in range(b.repeats):
            path = config.parent / "articles" / f"kabar-{size // 2 + k:06d}.txt"
            path.write_text(path.read_text("utf-8") + f"\nRalat {k}.\n", "utf-8")
            edits.append(b.syndicate(config, "run", "--quiet")[0])
        edit[size] = min(edits)
        if size != sizes[0]:
            extra = 50
            for n in range(size, size + extra):
                (config.parent / "articles" / f"kabar-{n:06d}.txt").write_text(
                    f"Tambahan {n}\n\n---\nsummary: Ringkasan {n}.\nbullets: [Satu, Dua]\n---\n"
                    f"Isi berita tambahan nomor {n}.\n", "utf-8")  # fmt: skip
            added = b.syndicate(config, "run", "--no-digest", "--quiet")[0]
            again, _ = best(
                b.repeats,
                [
                    b.python,
                    "-m",
                    "syndicate",
                    "run",
                    "--no-digest",
                    "--quiet",
                    "--config",
                    str(config),
                ],
            )
            ingest[size] = (added - again) / extra
        shutil.rmtree(config.parent)
    imports, _ = best(b.repeats, [b.python, "-c", "import feedgen, jinja2, premailer, apscheduler"])
    small, mid, big = sizes
    for label, runs in (("no-op run", {k: v[0] for k, v in noop.items()}), ("one-edit run", edit)):
        for size in sizes:
            ratio = None if size == small else runs[size] / runs[small]
            base = "—" if size == small else f"same at {small}: {runs[small] * 1000:,.0f} ms"
            b.row(f"{label}, {size:,} stored articles", f"{runs[size] * 1000:,.0f} ms", base,
                  ratio, "≤ 1.5×" if size == big else "")  # fmt: skip
    b.row(f"no-op run at {big:,} vs importing the card's packages",
          f"{noop[big][0] * 1000:,.0f} ms ({noop[big][1]:.0f} MB)",
          f"import feedgen, jinja2, premailer, apscheduler: {imports * 1000:,.0f} ms",
          noop[big][0] / imports, "≤ 0.5×")  # fmt: skip
    b.row(f"ingest per article, {mid:,} → {big:,} stored",
          f"{ingest[big] * 1000:.1f} ms at {big:,}",
          f"{ingest[mid] * 1000:.1f} ms at {mid:,}", ingest[big] / ingest[mid], "flat")  # fmt: skip


def row_help(b: Bench) -> None:
    times = max(7, b.repeats)
    ours, rss = best(times, [b.python, "-m", "syndicate", "--help"])
    base, _ = best(times, [b.python, "-c", "pass"])
    b.row("`syndicate --help`", f"{ours * 1000:.0f} ms ({rss:.0f} MB)",
          f"python -c pass: {base * 1000:.0f} ms", ours / base, "≤ 4×")  # fmt: skip


ROWS = {
    "maildir": row_maildir,
    "large": row_large,
    "cur": row_cur,
    "smtp": row_smtp,
    "copy": row_copy,
    "history": row_history,
    "help": row_help,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke check")
    parser.add_argument("--only", default="", help=", ".join(ROWS))
    parser.add_argument("--python", default=sys.executable, help="the venv to measure")
    parser.add_argument("--repeats", type=int, default=3, help="best of N for short runs")
    parser.add_argument("--rss2email", default="", metavar="R2E", help="rss2email's r2e")
    args = parser.parse_args()
    chosen = [r for r in args.only.split(",") if r] or list(ROWS)
    b = Bench(args.python, args.quick, args.repeats)
    b.rss2email = args.rss2email
    started = time.perf_counter()
    try:
        for name in chosen:
            print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr)
            try:
                ROWS[name](b)
            except Exception as exc:  # one broken row must not cost the others' numbers
                traceback.print_exc()
                b.row(name, f"error: {str(exc).splitlines()[0][:100]}", "", None, "")
    finally:
        for root in b.roots:
            shutil.rmtree(root, ignore_errors=True)
    print(f"bench/delivery.py · {os.cpu_count()} CPUs · {socket.gethostname()} ·"
          f" {args.python} · {time.perf_counter() - started:,.0f} s\n")  # fmt: skip
    print("| work | syndicate | baseline (same run) | ratio | target |")
    print("|---|---|---|---|---|")
    for cells in b.rows:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
