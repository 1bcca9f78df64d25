"""Key bullets (issue #13): whole sentences or clauses that state a point, one per section
including a closing counter-point, never instructions. On the sample article (through the
reader, the pipeline's enrich step and the digest) and on synthetic articles written here."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from syndicate import ingest
from syndicate.config import Config
from syndicate.core.model import Article, Digest
from syndicate.digest.render import render_digest
from syndicate.text.bullets import as_bullet
from syndicate.text.points import announces_only, leans_back, reports_non_event, standalone
from syndicate.text.sentences import split_sentences
from syndicate.text.summary import summarize
from tests.factories import WEB_URL, WIB

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "articles" / "000_6bd5c2adaf47451d.txt"


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_states_a_point(bullet: str, body: str, headings: tuple[str, ...] = ()) -> None:
    """A bullet is a whole sentence of the body, or a whole clause of one (ending where the
    sentence has ';' or ':'), or a list item, optionally after a "Heading: " label, and maybe
    without a leading connective ("Secara khusus, "); never cut with an ellipsis."""
    assert not bullet.endswith("…") and "…" not in bullet, bullet
    for heading in headings:
        if bullet.startswith(f"{heading}: "):
            bullet = bullet[len(heading) + 2 :]
            break
    sentences = split_sentences(body)
    if bullet in sentences:
        return
    for s in sentences:
        head, _, rest = s.partition(", ")
        if rest and len(head.split()) <= 3 and bullet == rest[0].upper() + rest[1:]:
            return
    clause = bullet.rstrip(".。")
    assert any(s.startswith((f"{clause}:", f"{clause};")) for s in sentences) or any(
        f"{clause}: " in s or f"{clause}; " in s for s in sentences
    ), f"not a whole sentence or clause of the article: {bullet!r}"


# --- the sample article --------------------------------------------------------------------

RISK_SECTION = (
    "Meskipun Tiongkok secara umum menyetujui tindakan Korea Utara, ada beberapa kekhawatiran.",
    "Secara khusus, Beijing prihatin dengan kerja sama teknologi antara Moskow dan Pyongyang: "
    "Rusia telah membantu DPRK dalam teknologi luar angkasa dan rudal.",
    "Selain itu, keberadaan pasukan Korea Utara di Rusia dapat terkena pengaruh negatif yang "
    "dapat menimbulkan masalah internal.",
    "Aktivitas Korea Utara mungkin mendorong Seoul untuk memberikan bantuan militer ke Ukraina, "
    "yang akan meningkatkan ketegangan di kawasan.",
)


@pytest.fixture(scope="module")
def sample_article(tmp_path_factory: pytest.TempPathFactory) -> Article:
    from syndicate.config import load_config
    from tests.conftest import write_config

    root = tmp_path_factory.mktemp("site")
    config_path = write_config(root)
    inbox_copy = root / "articles" / SAMPLE.name
    inbox_copy.write_bytes(SAMPLE.read_bytes())
    return ingest.understand(inbox_copy, load_config(config_path))


def test_sample_bullets_are_whole_points_and_cover_the_risk_section(sample_article):
    bullets = sample_article.key_bullets
    assert len(bullets) >= 3
    for b in bullets:
        assert_states_a_point(b, sample_article.text, sample_article.sections)
    # every section of the sample is represented, the closing counter-point included
    for heading in sample_article.sections:
        assert any(b.startswith(f"{heading}: ") for b in bullets), heading
    risk = [b for b in bullets if any(s.rstrip(".").partition(", ")[2] in b for s in RISK_SECTION)]
    assert risk and risk[0].startswith("Kemungkinan risiko bagi Tiongkok: ")
    assert bullets == (
        "Partisipasi Pyongyang dalam perang di pihak Rusia dapat menimbulkan tantangan bagi "
        "Tiongkok karena potensi hilangnya reputasi Beijing, risiko ketidakstabilan situasi di "
        "Semenanjung Korea, dan penguatan koalisi Rusia-Korea Utara di belakang Tiongkok.",
        "Keuntungan geopolitik: Tiongkok memandang perang di Ukraina sebagai cara untuk "
        "melemahkan fokus strategis Amerika Serikat, yang terpaksa membagi sumber daya antara "
        "Eropa dan Asia.",
        "Dasar ideologis dan strategis: Beijing mendukung tesis “kepentingan keamanan sah” "
        "Moskow, yang konsisten dengan kebijakan Tiongkok terhadap Taiwan, India, dan sekutu AS "
        "di wilayah tersebut.",
        "Peran instrumental DPRK: Pyongyang telah menjadi pelaksana tugas-tugas yang tidak dapat "
        "dilaksanakan secara terbuka oleh Tiongkok karena kekhawatiran akan sanksi.",
        # Not "… ada beberapa kekhawatiran." (there are some concerns): the sentence that
        # says which concerns, without the "Secara khusus," that leaned on the one before.
        "Kemungkinan risiko bagi Tiongkok: Beijing prihatin dengan kerja sama teknologi antara "
        "Moskow dan Pyongyang: Rusia telah membantu DPRK dalam teknologi luar angkasa dan rudal.",
    )


def test_sample_digest_shows_the_bullets(sample_article, config: Config):
    article = sample_article.with_(id="tag:x,2026:1", slug="sample")
    digest = Digest(
        id="2026-11-27-001", created=datetime(2026, 11, 27, 7, tzinfo=WIB), articles=(article,)
    )
    rendered = render_digest(digest, config, web_url=WEB_URL)
    items = [
        flat(re.sub(r"<[^>]+>", "", li))
        for li in re.findall(r"<li\b[^>]*>(.*?)</li>", rendered.html, re.S)
    ]
    assert len(items) >= 3
    assert not any(i.endswith("…") for i in items)
    assert any("Kemungkinan risiko bagi Tiongkok" in i for i in items)
    text = flat(rendered.text)
    assert "* Kemungkinan risiko bagi Tiongkok: Beijing prihatin dengan kerja sama" in text
    assert "ada beberapa kekhawatiran" not in text


# --- a sectioned article closing on a counter-point ------------------------------------------

SECTIONED = """\
The city will close its old coal plant in 2027 and replace it with a solar farm and batteries, \
the council decided on Tuesday after a year of hearings. The vote was 9 to 4.

Why the council acted

The plant burns 400,000 tonnes of coal a year and is the largest single source of the city's \
emissions. Repairs due next year would have cost more than the new solar farm itself.

What changes for households

Electricity bills are expected to fall by about eight percent once the batteries are running, \
according to the utility's own estimate. Sixty workers at the plant will be offered jobs at \
the new site or retraining.

The critics' case

Not everyone is convinced: the chamber of commerce warns that two cloudy winters in a row \
could leave the grid short of power. Opponents also say the batteries have not been tested \
at this scale anywhere in the region, and they want a gas plant kept on standby.
"""


def test_sectioned_article_gets_one_bullet_per_section_including_the_counter_point():
    result = summarize(SECTIONED, "en")
    headings = ("Why the council acted", "What changes for households", "The critics' case")
    assert result.bullets == [
        "Why the council acted: The plant burns 400,000 tonnes of coal a year and is the largest "
        "single source of the city's emissions.",
        "What changes for households: Electricity bills are expected to fall by about eight "
        "percent once the batteries are running, according to the utility's own estimate.",
        "The critics' case: Not everyone is convinced: the chamber of commerce warns that two "
        "cloudy winters in a row could leave the grid short of power.",
    ]
    for b in result.bullets:
        assert_states_a_point(b, SECTIONED, headings)


def test_many_sections_keep_the_closing_one():
    parts = [
        "Parliament passed the new data protection law on Monday by a wide margin. It takes "
        "effect in January for every company."
    ]
    for i in range(1, 8):
        parts.append(f"Section number {i}")
        parts.append(f"This section explains rule number {i} of the new law in some detail.")
    parts.append("Criticism")
    parts.append("Privacy groups say the law still lets police read messages without a warrant.")
    bullets = summarize("\n\n".join(parts), "en").bullets
    assert len(bullets) == 5
    assert bullets[-1] == (
        "Criticism: Privacy groups say the law still lets police read messages without a warrant."
    )
    assert bullets[0].startswith("Section number 1: ")


# --- a Markdown release note with upgrade steps ----------------------------------------------

RELEASE_NOTE = """\
---
title: Syndicate 2.0 released
author: Jane Maintainer
---
Syndicate 2.0 is out today. It brings paged feed archives, a plain-text reader that is three \
times faster, and a preview command for digests.

## What's new

Feed readers that fall behind can now catch up: entries older than the newest fifty move to \
RFC 5005 archive pages, which never change once they are full.

The plain-text reader was rewritten around a single pass over the file, which makes large \
inboxes three times faster to publish.

A new `syndicate preview` command renders the digest for the pending articles without \
sending anything to subscribers.

## Upgrading

1. Back up the `state/` folder.
2. Run `pip install -U syndicate` in the virtual environment.
3. Run `syndicate run --no-digest` once so the database is migrated.

```sh
pip install -U syndicate
syndicate run --no-digest
```

Thanks to everyone who reported bugs and tested the release candidates.
"""


def test_release_note_bullets_are_the_news_not_the_upgrade_steps(config: Config):
    path = config.path("inbox") / "release-2.0.md"
    path.write_text(RELEASE_NOTE, encoding="utf-8")
    article = ingest.understand(path, config)
    bullets = article.key_bullets
    assert len(bullets) >= 3
    joined = " ".join(bullets)
    for step in ("Back up", "pip install", "Run ", "--no-digest", "state/"):
        assert step not in joined, bullets
    assert "pip install" not in article.summary
    assert any("archive pages" in b for b in bullets)
    assert any("three times faster" in b for b in bullets)
    for b in bullets:
        assert_states_a_point(b, article.text, article.sections)


def test_a_step_list_introduced_by_a_lead_in_is_not_a_point():
    text = (
        "Version 3 of the app fixes the crash on start-up that many readers reported.\n\n"
        "To upgrade from version 2:\n\n"
        "1. Open the settings screen.\n\n"
        "2. Tap the update button.\n\n"
        "3. Restart the phone.\n\n"
        "The crash happened when the phone's language was set to Turkish. It affected about "
        "one user in fifty. A test now covers every language the app ships with."
    )
    bullets = summarize(text, "en").bullets
    assert not any(step in " ".join(bullets) for step in ("Open the", "Tap the", "Restart"))
    assert bullets


# --- an English news story (no sections) ----------------------------------------------------

NEWS = """\
LONDON (Reuters) - Britain's biggest water company will pay a record 120 million pound fine \
for letting sewage into rivers, the regulator said on Thursday, after a two-year \
investigation found it had hidden the scale of the spills from inspectors for years.

The company admitted that its treatment works released untreated sewage on more than 4,000 \
days between 2017 and 2021, often in dry weather when spills are banned.

Its chief executive apologised and said the firm would invest 2 billion pounds in new storm \
tanks and pipes over the next five years, paid for by shareholders rather than customers.

"We got this badly wrong," she told reporters at the company's headquarters in Reading.

Campaigners welcomed the fine but said it was small next to the 600 million pounds the company \
paid its shareholders in dividends over the same period, and they called for the board to \
be replaced; the regulator said it had no power to do that.

The fine will be paid into a fund for river restoration projects, the government said, and \
the first grants are expected to be awarded next spring after a public consultation.

Shares in the company fell 3 percent in early trading in London.
"""


def test_english_news_bullets_are_whole_sentences_outside_the_summary():
    result = summarize(NEWS, "en")
    assert 3 <= len(result.bullets) <= 5
    for b in result.bullets:
        assert_states_a_point(b, NEWS)
        assert b not in result.summary
        assert not b.startswith('"')  # a quote needs its speaker
    # a long sentence is represented by its first whole clause, not by a cut
    assert (
        "Campaigners welcomed the fine but said it was small next to the 600 million pounds the "
        "company paid its shareholders in dividends over the same period, and they called for "
        "the board to be replaced." in result.bullets
    )


# --- as_bullet ------------------------------------------------------------------------------


def test_as_bullet_keeps_sentences_and_takes_whole_clauses_of_long_ones():
    short = "Harga beras naik lima persen pekan ini di Jakarta."
    assert as_bullet(short) == short
    long = (
        "Secara khusus, Beijing prihatin dengan kerja sama teknologi antara Moskow dan Pyongyang: "
        "Rusia telah membantu DPRK dalam teknologi luar angkasa dan rudal, dan para analis di "
        "Seoul, Tokyo serta Washington memperkirakan kerja sama itu akan semakin erat dalam "
        "beberapa bulan ke depan."
    )
    assert as_bullet(long) == (
        "Secara khusus, Beijing prihatin dengan kerja sama teknologi antara Moskow dan Pyongyang."
    )
    run_on = " ".join(["kata"] * 50) + "."
    assert as_bullet(run_on) is None
    # Before a quotation a colon ends an attribution, not a point; a later clause leans on the
    # first (or is a caption glued on by a scraper): neither becomes a bullet.
    attribution = (
        "The minister told a crowded press conference in the capital on Monday evening that "
        "the government would not change course: 'We will pay every pension and every salary "
        "on time, whatever the lenders decide next week.'"
    )
    assert as_bullet(attribution) is None
    later = (
        "Flying high: Half of the kite took to the sky last Saturday as thousands of people "
        "watched from the hills around the city, while organisers counted the pieces that had "
        "come loose in the wind and the rain."
    )
    assert as_bullet(later) is None


# --- bullets carry their point read alone (issue #25) ----------------------------------------

FARES = """\
The island ferry operator will raise fares by 8% from 1 April, it said on Tuesday, the second \
increase in a year.

A return ticket for a car and two adults will cost £96, up from £89, according to the new \
price list.

Passenger groups criticised the timing. The increase comes two weeks before the Easter \
holidays, when traffic to the islands triples.

The operator blamed fuel costs, which rose by a fifth last year, and new rules on crew rest.

Freight rates for next year were not announced.

The council, which subsidises the route, said it would review the contract in June. A spokesman \
for the operator did not immediately respond to a request for comment.
"""


def test_short_article_bullets_state_their_point_and_no_non_events():
    result = summarize(FARES, "en")
    assert result.bullets
    for bullet in result.bullets:
        assert_states_a_point(bullet, FARES)
        assert "criticised the timing" not in bullet  # what timing? the next sentence says
        assert "not announced" not in bullet and "did not immediately" not in bullet
    assert (
        "The operator blamed fuel costs, which rose by a fifth last year, and new rules on "
        "crew rest." in result.bullets
    )


def test_an_announcing_sentence_gives_way_to_the_one_that_states_it():
    text = (
        "The city will close its old coal plant in 2027 and build a solar farm, the council "
        "decided on Tuesday.\n\nThe vote was 9 to 4 after a year of hearings and two public "
        "consultations.\n\nWhat critics say\n\nUnions raised several concerns. They fear that "
        "sixty jobs at the plant will go before the solar farm hires anyone.\n\nWhat happens "
        "next\n\nThe utility will publish a timetable for the closure in March, with a first "
        "auction for the batteries in June.\n"
    )
    result = summarize(text, "en")
    assert (
        "What critics say: They fear that sixty jobs at the plant will go before the solar "
        "farm hires anyone." in result.bullets
    )
    assert not any("several concerns" in b for b in result.bullets)


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("Passenger groups criticised the timing.", "en"),
        ("Meskipun Tiongkok secara umum menyetujui tindakan Korea Utara, ada beberapa "
         "kekhawatiran.", "id"),
        ("Les syndicats ont exprimé des inquiétudes.", "fr"),
        ("Los vecinos plantearon varias preguntas.", "es"),
        ("Die Gewerkschaften äußerten Bedenken.", "de"),
        ("Os moradores levantaram dúvidas.", "pt"),
        ("Penduduk menyuarakan kebimbangan.", "ms"),
    ],
)  # fmt: skip
def test_sentences_that_only_announce_their_content(sentence, lang):
    assert announces_only(sentence, lang)


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("Freight rates for next year were not announced.", "en"),
        ("The operator did not immediately respond to a request for comment.", "en"),
        ("Police declined to comment on the investigation.", "en"),
        ("It is unclear when the bridge will reopen.", "en"),
        ("The victim's name wasn't released.", "en"),
        ("Penyebab kebakaran belum diketahui.", "id"),
        ("Polisi enggan berkomentar soal kasus itu.", "id"),
        ("Les tarifs du fret n'ont pas été annoncés.", "fr"),
        ("Las tarifas de carga no se anunciaron.", "es"),
        ("Die Frachtraten wurden nicht bekannt gegeben.", "de"),
        ("As tarifas de frete não foram divulgadas.", "pt"),
        ("Punca kebakaran belum diketahui.", "ms"),
    ],
)
def test_non_events(sentence, lang):
    assert reports_non_event(sentence, lang)


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("The bill does not include aid for Ukraine, which remains stalled in Congress.", "en"),
        ("No one was injured when the roof collapsed on Sunday.", "en"),
        ("Pyongyang telah menjadi pelaksana tugas-tugas yang tidak dapat dilaksanakan secara "
         "terbuka oleh Tiongkok karena kekhawatiran akan sanksi.", "id"),
        ("Tiongkok tidak hanya akan menerima kerja sama itu, tetapi juga melihat keuntungan "
         "yang jelas.", "id"),
        ("The city not only announced the closure but also named a date.", "en"),
        ("Ferries resumed their timetable in the afternoon.", "en"),
    ],
)  # fmt: skip
def test_sentences_that_carry_a_point(sentence, lang):
    assert not reports_non_event(sentence, lang)
    assert not announces_only(sentence, lang)


def test_a_leading_connective_leaves_the_bullet():
    assert standalone("Secara khusus, Beijing prihatin dengan kerja sama teknologi.", "id") == (
        "Beijing prihatin dengan kerja sama teknologi."
    )
    assert standalone("However, the council said it would review the contract.", "en") == (
        "The council said it would review the contract."
    )
    assert standalone("Par ailleurs, le port restera fermé la nuit.", "fr") == (
        "Le port restera fermé la nuit."
    )
    # no comma, no connective: "However much it costs …" is the sentence itself
    assert standalone("However much it costs, the port will reopen.", "en") == (
        "However much it costs, the port will reopen."
    )
    assert leans_back("This means the port stays closed at night.", "en")
    assert not leans_back("Thistle farmers sold out by noon.", "en")
