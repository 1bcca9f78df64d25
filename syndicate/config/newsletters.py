"""Newsletters (#23): one site, several digests, each with its own cadence and filter, and
subscribers who each hold a set of them.

- A config without `[[newsletters]]` has one newsletter: the digest made of `[digest]` and
  `schedule.digest`, whose id is "" (never shown). Its digest ids are the date and a number,
  as they always were ("2026-11-27-001"), and everyone active gets it: every existing site,
  test and the Quick start go on exactly as before. A configured newsletter's digest ids
  start with its id ("daily-2026-11-27-001"); ids start with a letter, so the two kinds never
  clash, and its web versions are `feeds/digests/<its digest id>.html`.
- An article goes into the next digest of each newsletter whose filter takes it, once:
  `tags` (any one of them, compared as topics.topic_slug; empty: any article) and
  `languages` (RFC 4647 basic filtering; empty: any). Which newsletters take an article is
  decided when it is stored, and again when it is edited while it waits (store/articles.py
  keeps each newsletter's pending set). A newsletter added to the config later starts with
  the articles stored from then on: what came before is not a back catalogue to mail.
- A subscriber holds a set of newsletters, stored as their ids separated by spaces; ""
  means "chose nothing", which is the `default = true` newsletters as the config says at the
  time (so every subscriber from before `[[newsletters]]` gets the default ones). A stored id
  the config no longer has is ignored.
- In a newsletter's digest, `{site}` in the subject and in the labels is the newsletter's
  name ("You are receiving this email because you subscribed to Ports Weekly"): a subscriber
  of two newsletters tells them apart by the subject line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from syndicate.config import Config
from syndicate.core.topics import language_matches, topic_slug


@dataclass(frozen=True)
class Newsletter:
    id: str  # "" for the one digest of a config without [[newsletters]]
    name: str
    schedule: str  # cron, in site.timezone
    default: bool
    tags: frozenset[str]  # topic slugs; empty: every article
    languages: tuple[str, ...]  # BCP 47 ranges; empty: every language
    subject: str  # the subject template in the site's language

    @property
    def label(self) -> str:
        """How reports and commands name it."""
        return f"newsletter {self.id}" if self.id else "the digest"

    @property
    def schedule_key(self) -> str:
        """How the "not due" verdict names its schedule (config/cadence.not_due_reason)."""
        return f"newsletter {self.id}'s schedule" if self.id else "schedule.digest"

    def takes(self, tags: Iterable[str], language: str | None) -> bool:
        """Whether an article with these tags and language goes into this newsletter."""
        if self.tags and not self.tags & {topic_slug(t) for t in tags}:
            return False
        return not self.languages or any(language_matches(w, language) for w in self.languages)


def newsletters(config: Config) -> tuple[Newsletter, ...]:
    """The site's newsletters, in the config's order (one, with id "", without any)."""
    if not config.newsletters:
        return (
            Newsletter(
                "",
                config.site.title,
                config.schedule.digest,
                True,
                frozenset(),
                (),
                config.digest.subject,
            ),
        )
    return tuple(
        Newsletter(
            n.id,
            n.name or n.id,
            n.schedule,
            n.default,
            frozenset(topic_slug(t) for t in n.tags),
            tuple(n.languages),
            n.subject or config.digest.subject,
        )
        for n in config.newsletters
    )


def newsletter_for(config: Config, ident: str) -> Newsletter:
    """The newsletter a stored digest belongs to: the config's of that id; for "" (or one
    the config no longer has) a newsletter made of `[digest]`, named after the site (or
    its id), so a digest made before a change of config still renders."""
    for newsletter in newsletters(config):
        if newsletter.id == ident:
            return newsletter
    name = ident or config.site.title
    return Newsletter(
        ident, name, config.schedule.digest, False, frozenset(), (), config.digest.subject
    )


def newsletters_taking(
    config: Config, tags: Iterable[str], language: str | None
) -> dict[str, bool]:
    """newsletter id → whether it takes an article with these tags and language (what
    store/articles.save_article enrolls it in)."""
    tags = tuple(tags)
    return {n.id: n.takes(tags, language) for n in newsletters(config)}


def chosen_newsletters(config: Config, ident: str | None) -> tuple[Newsletter, ...]:
    """`--newsletter ID`: that one (ValueError naming the ids there are); None: all."""
    every = newsletters(config)
    if ident is None:
        return every
    for newsletter in every:
        if newsletter.id and newsletter.id == ident:
            return (newsletter,)
    if not config.newsletters:
        raise ValueError(
            f"--newsletter {ident}: the config has no [[newsletters]], only the one digest"
        )
    ids = ", ".join(n.id for n in every)
    raise ValueError(f"--newsletter {ident}: no such newsletter (the config has {ids})")


def held_newsletters(config: Config, stored: str) -> tuple[Newsletter, ...]:
    """The newsletters a subscriber gets, from what they hold (`stored`, "" for none)."""
    every = newsletters(config)
    if not config.newsletters:
        return every
    ids = set(stored.split())
    held = tuple(n for n in every if n.id in ids)
    return held if stored.strip() else tuple(n for n in every if n.default)


def newsletters_left(config: Config, held: str, holds: str) -> list[str]:
    """The ids of the newsletters a subscriber got while holding `held` and no longer gets
    holding `holds` (store/subscribers.LeftNewsletters): their queued deliveries go."""
    now = {n.id for n in held_newsletters(config, holds)}
    return [n.id for n in held_newsletters(config, held) if n.id not in now]


def newsletter_choice(config: Config, ids: Iterable[str]) -> str:
    """A choice of newsletters as it is stored: the ids, checked (ValueError naming an
    unknown one), in the config's order, separated by spaces."""
    wanted = [i.strip() for i in ids if i.strip()]
    known = [n.id for n in newsletters(config) if n.id]
    if unknown := [i for i in wanted if i not in known]:
        there = ", ".join(known) if known else "none: the config has no [[newsletters]]"
        raise ValueError(f"no newsletter {unknown[0]!r} (there are: {there})")
    return " ".join(i for i in known if i in wanted)


def newsletter_of_digest(config: Config, digest_id: str) -> str:
    """Whose digest `digest_id` is, from its id alone (`state adopt`): the configured
    newsletter whose id and a date start it, else "" (the one digest's ids start with the
    date)."""
    for n in newsletters(config):
        rest = digest_id.removeprefix(f"{n.id}-")
        if n.id and rest != digest_id and rest[:1].isdigit():
            return n.id
    return ""
