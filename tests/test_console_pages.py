"""The console's pages and actions over real HTTP (#24): each action does what its CLI
command does (the same functions underneath), and each page shows what the state holds."""

from __future__ import annotations

import email
import re
from datetime import date, datetime, timedelta
from email import policy

from syndicate.cli import main
from syndicate.run import pipeline
from syndicate.store.bounces import record_bounce
from syndicate.store.connection import open_db
from syndicate.store.runs import recent_runs
from syndicate.store.subscriber_pages import subscriber_page
from syndicate.store.subscribers import add_subscriber, get_subscriber, unsubscribe
from syndicate.web.console.chart import growth_chart, growth_series
from tests.console_support import console_site, csrf_of, logged_in, post
from tests.web_support import outbox_messages, running, wait_for

CSV = (
    "email,name,status\n"
    "new.one@example.org,New One,active\n"
    "one@example.org,Reader One,active\n"
    "not an address,Nobody,active\n"
    "gone@example.org,Gone,unsubscribed\n"
    "new.one@example.org,Twice,active\n"
)


def test_subscriber_actions_say_what_the_cli_says(tmp_path, capsys):
    config = console_site(tmp_path)
    with running(config) as web:
        pipeline.run(web.config, digest="never")  # the config's subscriber is stored
        client = logged_in(web.base)
        token = csrf_of(client, "/admin/subscribers")
        added = post(client, "/admin/subscribers/add", {"csrf": token, "email": "Ana@Example.org"})
        assert added.status_code == 303
        page = client.get(added.headers["location"]).text
        assert "ana@example.org: ditambahkan" in page
        refused = post(client, "/admin/subscribers/add", {"csrf": token, "email": "ü@example.org"})
        assert refused.status_code == 400
        cfg = ["--config", str(tmp_path / "config.toml")]
        assert main(["subscribers", "add", "ü@example.org", *cfg]) == 2
        cli_error = capsys.readouterr().err.removeprefix("syndicate: ").strip()
        assert cli_error.split(": ", 1)[1] in refused.text.replace("&#39;", "'")
        bad_language = {"csrf": token, "email": "b@example.org", "language": "xx-!!"}
        assert post(client, "/admin/subscribers/add", bad_language).status_code == 400
        gone = post(
            client, "/admin/subscribers/remove", {"csrf": token, "email": "ana@example.org"}
        )
        assert "ana@example.org: berhenti" in client.get(gone.headers["location"]).text
        question = client.get("/admin/subscribers/erase?email=one@example.org")
        assert "one@example.org" in question.text and 'name="confirm" value="yes"' in question.text
        unconfirmed = post(
            client, "/admin/subscribers/erase", {"csrf": token, "email": "one@example.org"}
        )
        assert unconfirmed.status_code == 200  # the question again; nothing erased
        with open_db(web.config) as conn:
            assert get_subscriber(conn, "one@example.org") is not None
        erase = {"csrf": token, "email": "one@example.org", "confirm": "yes"}
        erased = post(client, "/admin/subscribers/erase", erase)
        assert "one@example.org: dihapus" in client.get(erased.headers["location"]).text
        with open_db(web.config) as conn:
            assert get_subscriber(conn, "one@example.org") is None
            assert get_subscriber(conn, "ana@example.org").status == "unsubscribed"


def test_pages_of_subscribers_by_keyset_filtered_and_searched(tmp_path):
    config = console_site(tmp_path)
    conn = open_db(config)
    now = datetime.now(config.site.tz)
    for i in range(250):
        add_subscriber(conn, f"s{i:03d}@example.org", f"Name {i}", now, resubscribe=True)
    unsubscribe(conn, now, email="s007@example.org")
    conn.close()
    with running(config) as web:
        client = logged_in(web.base)
        seen = []
        url = "/admin/subscribers"
        while url:
            page = client.get(url).text
            seen += re.findall(r'data-label="[^"]*">(s\d{3}@example\.org)</td>', page)
            found = re.search(r'href="(/admin/subscribers\?[^"]*after=[^"]*)" rel="next"', page)
            url = found.group(1).replace("&amp;", "&") if found else ""
        everyone = [f"s{i:03d}@example.org" for i in range(250)]
        assert seen == everyone  # one@example.org sorts before: on page 1, not an s-address
        left = client.get("/admin/subscribers?status=unsubscribed").text
        assert re.findall(r">(s\d{3}@example\.org)<", left) == ["s007@example.org"]
        searched = client.get("/admin/subscribers?q=NAME 12").text
        assert re.findall(r">(s\d{3}@example\.org)<", searched) == [
            "s012@example.org", *(f"s{i}@example.org" for i in range(120, 130)),
        ]  # fmt: skip
        conn = open_db(web.config)
        try:  # the same question, asked of the store: the second page starts after the first
            first = subscriber_page(conn, limit=100)
            second = subscriber_page(conn, after=first[-1].email, limit=100)
            assert first[-1].email < second[0].email and len(second) == 100
        finally:
            conn.close()


def test_a_csv_upload_is_imported_with_the_per_row_report(tmp_path):
    config = console_site(tmp_path)
    with running(config) as web:
        client = logged_in(web.base)
        pipeline.run(web.config, digest="never")  # the config's subscriber is stored
        token = csrf_of(client, "/admin/subscribers")
        answer = client.post(
            "/admin/subscribers/import",
            data={"csrf": token},
            files={"file": ("list.csv", CSV.encode(), "text/csv")},
            headers={"Origin": web.base},
        )
        assert answer.status_code == 200
        summary = re.search(r'id="import-summary">([^<]*)<', answer.text).group(1)
        assert summary == "list.csv: 5 rows: 1 added, 1 added as unsubscribed, 1 exists, 2 invalid"
        rows = re.findall(
            r'data-label="[^"]*">(\d+)</td><td data-label="[^"]*">([^<]*)</td>', answer.text
        )
        assert [line for line, _ in rows][:2] == ["4", "6"]  # the invalid rows first
        assert "repeats an earlier row" in answer.text
        export = client.get("/admin/subscribers/export.csv")
        assert export.headers["content-disposition"].startswith("attachment;")
        lines = export.text.splitlines()
        assert lines[0] == "email,name,status,language,newsletters"
        assert "new.one@example.org,New One,active,," in lines
        not_csv = client.post(
            "/admin/subscribers/import",
            data={"csrf": token},
            files={"file": ("list.csv", b"\xff\xfe\x00binary", "text/csv")},
            headers={"Origin": web.base},
        )
        assert not_csv.status_code == 400 and "not UTF-8 text" in not_csv.text


def test_a_digest_started_in_the_console_is_followed_to_its_end(tmp_path):
    config = console_site(tmp_path)
    with running(config) as web:
        client = logged_in(web.base)
        started = post(client, "/admin/runs", {"csrf": csrf_of(client), "digest": "now"})
        assert started.status_code == 303
        run_url = started.headers["location"]
        assert re.fullmatch(r"/admin/runs/\d+", run_url)
        stages = set()

        def finished():
            data = client.get(run_url + ".json").json()
            if data["state"] == "running":
                stages.add(data["progress"]["stage"])
            return data if data["state"] != "running" else None

        data = wait_for(finished, timeout=60)
        assert data["state"] == "finished" and data["admin"] == "ana"
        assert data["counts"]["new"] == 1 and data["counts"]["sent"] == 1
        assert stages <= {"starting", "reading", "publishing", "digest", "delivering"}
        page = client.get(run_url).text
        assert "selesai" in page and "ana" in page  # the site's language (id)
        assert len(outbox_messages(web.config)) == 1
        history = client.get("/admin/runs").text
        assert f'href="{run_url}"' in history and "ana" in history
        with open_db(web.config) as conn:
            [run] = recent_runs(conn, 1)
            assert run["admin"] == "ana" and run["trigger"] == "console:now"
        unknown = client.get("/admin/runs/999")
        assert unknown.status_code == 404
        assert client.get("/admin/runs/999.json").status_code == 404


def test_retract_and_undo_from_the_console(tmp_path):
    config = console_site(tmp_path)
    with running(config) as web:
        pipeline.run(web.config, digest="never")
        client = logged_in(web.base)
        listing = client.get("/admin/articles?q=KOREA utara").text
        link = re.search(r'href="(/admin/article\?id=[^"]+)"', listing).group(1)
        page = client.get(link.replace("&amp;", "&")).text
        article_id = re.search(r'name="id" value="([^"]+)"', page).group(1)
        token = csrf_of(client)
        no_reason = post(client, "/admin/articles/retract", {"csrf": token, "id": article_id})
        assert no_reason.status_code == 400 and "reason" in no_reason.text
        done = post(
            client, "/admin/articles/retract",
            {"csrf": token, "id": article_id, "reason": "wrong figures"},
        )  # fmt: skip
        assert done.status_code == 303
        page = client.get(done.headers["location"]).text
        assert 'id="retracted"' in page and "wrong figures" in page
        atom = (web.config.path("feeds") / "atom.xml").read_text()
        assert "deleted-entry" in atom and article_id in atom
        undo = post(
            client, "/admin/articles/retract", {"csrf": token, "id": article_id, "undo": "yes"}
        )
        assert 'id="retracted"' not in client.get(undo.headers["location"]).text
        assert "deleted-entry" not in (web.config.path("feeds") / "atom.xml").read_text()
        assert (
            client.get("/admin/articles?q=no such words anywhere").text.count("/admin/article?id=")
            == 0
        )


def test_digests_preview_test_and_resend(tmp_path):
    config = console_site(tmp_path)
    with running(config) as web:
        pipeline.run(web.config, digest="never")  # published; the article waits for a digest
        client = logged_in(web.base)
        preview = client.get("/admin/digests/preview")
        assert (
            preview.status_code == 200 and "sandbox" in preview.headers["content-security-policy"]
        )
        assert "<html" in preview.text.lower()
        token = csrf_of(client, "/admin/digests")
        sent = post(client, "/admin/digests/test", {"csrf": token, "to": "me@example.org"})
        assert sent.status_code == 303
        [test] = outbox_messages(web.config, "test.")
        message = email.message_from_bytes(test.read_bytes(), policy=policy.default)
        assert message["Subject"].startswith("[test] ") and message["To"] == "me@example.org"
        pipeline.run(web.config, digest="now")
        page = client.get("/admin/digests").text
        [digest_id] = re.findall(r'href="/digests/([\d-]+)\.html"', page)
        counts = re.findall(r'class="num" data-label="Terkirim">(\d+)<', page)
        assert counts == ["1"]
        resent = post(
            client, "/admin/digests/resend",
            {"csrf": token, "digest": digest_id, "to": "one@example.org"},
        )  # fmt: skip
        assert resent.status_code == 303
        assert len(outbox_messages(web.config, f"{digest_id}.")) == 2  # the digest + the resend
        stranger = post(
            client, "/admin/digests/resend",
            {"csrf": token, "digest": digest_id, "to": "stranger@example.org"},
        )  # fmt: skip
        assert stranger.status_code == 400 and "is not a subscriber" in stranger.text
        nothing = client.get("/admin/digests/preview")
        assert nothing.status_code == 404  # every article is in a digest now


def test_dashboard_and_bounces_show_the_state(tmp_path):
    config = console_site(tmp_path)
    (tmp_path / "articles" / "empty.txt").write_text("")
    with running(config) as web:
        pipeline.run(web.config, digest="now")
        with open_db(web.config) as conn:
            [(digest_id,)] = [
                (r["digest_id"],) for r in conn.execute("SELECT digest_id FROM deliveries")
            ]
            record_bounce(conn, digest_id, "one@example.org", "hard 5.1.1")
            unsubscribe(
                conn, datetime.now(web.config.site.tz), email="one@example.org", status="bounced"
            )
            conn.execute("UPDATE deliveries SET status = 'in_doubt'")
        client = logged_in(web.base)
        page = client.get("/admin/").text
        assert "empty.txt" in page  # a rejected inbox file
        assert 'action="/admin/deliveries/retry"' in page  # a delivery in doubt: retry
        assert "<svg" in page and "<polyline" in page
        bounces = client.get("/admin/bounces").text
        assert "hard 5.1.1" in bounces and "one@example.org" in bounces and "Terpental" in bounces


def test_the_growth_series_follows_joins_and_departures(tmp_path):
    config = console_site(tmp_path)
    conn = open_db(config)
    today = date(2026, 12, 7)
    rows = [
        ("a@example.org", "2026-01-01", "2026-01-01", "active"),  # before the 90 days
        ("b@example.org", "2026-11-01", "2026-11-01", "active"),
        ("c@example.org", "2026-11-01", "2026-12-01", "unsubscribed"),
        ("d@example.org", "2026-08-01", "2026-11-20", "bounced"),  # active before, left inside
        ("e@example.org", "2026-12-07", "2026-12-07", "pending"),  # never counted
    ]
    for email_, added, changed, status in rows:
        conn.execute(
            "INSERT INTO subscribers (email, token, status, added, changed) VALUES (?, ?, ?, ?, ?)",
            (email_, email_, status, added + "T09:00:00+07:00", changed + "T10:00:00+07:00"),
        )
    series = dict(growth_series(conn, today))
    conn.close()
    first = today - timedelta(days=89)
    assert series[first] == 2  # a and d
    assert series[date(2026, 11, 1)] == 4
    assert series[date(2026, 11, 20)] == 3
    assert series[date(2026, 12, 1)] == 2 and series[today] == 2
    chart = growth_chart(sorted(series.items()))
    assert (chart.low, chart.high, chart.now, chart.change) == (2, 4, 2, 0)
    assert len(chart.line.split()) == 90
