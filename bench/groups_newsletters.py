"""The newsletters group of bench/run.py (#23): 100,000 subscribers spread over 3 newsletters
× 4 languages, delivered into a Maildir by one `syndicate run --digest now`, against the same
100,000 getting one digest in one language, measured in the same run the same way: each
twice, in turns, the faster of each kept.

The targets: a digest is rendered once per (newsletter, language) that has recipients (the
run counts the renderings: bench/internals.py); Maildir delivery at least 0.8× the
one-newsletter figure per message; peak RSS at most 200 MB.
"""

from __future__ import annotations

from bench import internals, site
from bench.groups import Context, Line, mb, say, temp_root
from bench.measure import Measured

NEWSLETTERS = ("daily", "weekly", "indonesia")
LANGUAGES = ("id", "en", "de", "ar")  # the site's is id: its rendering serves the web version
TABLES = """
[[newsletters]]
id = "daily"
name = "Kabar Harian"
default = true

[[newsletters]]
id = "weekly"
name = "Kabar Mingguan"
schedule = "0 8 * * 1"

[[newsletters]]
id = "indonesia"
name = "Kabar Indonesia"
schedule = "0 9 * * *"
languages = ["id"]
"""


def _deliver(label: str, n: int, newsletters: bool) -> tuple[Measured, int, list]:
    """A site with 15 pending articles and `n` subscribers (spread over the newsletters and
    languages, or all on the one digest), one measured run, then the site removed (the
    outbox is gigabytes)."""
    config = site.make_site(temp_root(label), articles=15)
    if newsletters:
        config.write_text(config.read_text(encoding="utf-8") + TABLES, encoding="utf-8")
    site.syndicate(config, "run", "--no-digest", "--quiet")
    if newsletters:
        internals.seed_spread(config, n, list(NEWSLETTERS), list(LANGUAGES))
    else:
        internals.seed_subscribers(config, n)
    say(f"{'3 newsletters × 4 languages' if newsletters else 'one digest'}: {n:,} subscribers")
    measured = internals.run_counting_renders(config)
    delivered = site.outbox_count(config)
    site.remove(config.parent)
    return measured, delivered, measured.json()


TURNS = 2  # each measured this many times, in turns: the shared VM's disk drifts over minutes


def group_newsletters(ctx: Context) -> list[Line]:
    n = ctx.sizes.subscribers_large
    runs: dict[bool, list[tuple[Measured, int, list]]] = {False: [], True: []}
    for _turn in range(TURNS):
        for newsletters in (False, True):
            label = "newsletters" if newsletters else "one-newsletter"
            runs[newsletters].append(_deliver(label, n, newsletters=newsletters))
    one, one_count, _one_renders = min(runs[False], key=lambda r: r[0].seconds)
    many, many_count, renders = min(runs[True], key=lambda r: r[0].seconds)
    if one_count != n or many_count != n:
        ctx.notes.append(f"newsletters: {one_count:,} and {many_count:,} delivered of {n:,}")
    per_one = one.seconds * 1000 / one_count
    per_many = many.seconds * 1000 / many_count
    pairs = {(d.rsplit("-", 4)[0], lang) for d, lang in renders}
    once = len(pairs) == len(renders) == len(NEWSLETTERS) * len(LANGUAGES)
    rendered = ", ".join(sorted(f"{d}/{lang or 'site'}" for d, lang in pairs))
    ctx.notes.append(
        f"newsletters: the run rendered {len(renders)} digests for {len(NEWSLETTERS)}"
        f" newsletters × {len(LANGUAGES)} languages ({rendered}; the site's language, id,"
        " also makes each digest's web version)"
    )
    return [
        Line(
            f"Maildir delivery, {n:,} subscribers over {len(NEWSLETTERS)} newsletters ×"
            f" {len(LANGUAGES)} languages",
            f"{per_many:.3f} ms/msg ({many_count / many.seconds:,.0f} msg/s)",
            f"one newsletter, one language: {per_one:.3f} ms/msg",
            per_one / per_many,
            "≥ 0.8× (per message)",
            per_one / per_many >= 0.8,
            mb(many),
        ),
        Line(
            "  … renderings of the digests",
            f"{len(renders)} ({len(pairs)} distinct (newsletter, language))",
            "—",
            None,
            "once per (newsletter, language) with recipients",
            once,
        ),
        Line(
            "  … peak RSS",
            mb(many),
            f"one newsletter: {mb(one)}",
            many.rss_mb / one.rss_mb,
            "≤ 200 MB",
            many.rss_mb <= 200,
            mb(many),
        ),
    ]
