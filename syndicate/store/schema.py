"""The state's tables, as the newest schema, and the steps that upgrade older states.

Every status a row can have is listed in a CHECK so that a typo in code fails loudly
instead of parking a delivery in a state nothing ever reads.

The DDL is written once, in SQLite's words; `schema_for("postgresql")` translates the two
places where the engines differ, so both get the same tables:
- `INTEGER PRIMARY KEY` numbers rows by itself in SQLite (it is the rowid); PostgreSQL needs
  an identity column for that.
- `REAL` is a 4-byte float in PostgreSQL (SQLite's is 8 bytes): epoch seconds would be rounded
  to ~2 minutes, so leases and backoff times become `DOUBLE PRECISION`.
PostgreSQL states started at schema 2; the migrations below are SQLite's history, and the
ones after schema 2 are PostgreSQL's too.
"""

from __future__ import annotations

import re

# 5 was never used (it stood for #23 while #23 and #24 were in flight); 6 is the console's
# (#24), 7 the newsletters' (#23), which came after it: a state main wrote at 6 takes 7.
LATEST_VERSION = 7
FIRST_POSTGRESQL_VERSION = 2  # PostgreSQL states began at schema 2: they take the steps after it

# The light columns of every article, in archival order, without reading a row's `data` (the
# whole Article as JSON, kilobytes, stored in overflow pages that a table scan for the
# columns after it must walk): what every publishing run and every changed inbox reads
# (`article_rows`, `stored_files`). Halves that read at 10,000 articles (bench/run.py,
# `history`). Schema 4's version (digest_id and skipped_at moved to newsletter_articles in
# schema 7).
_ARTICLE_ROWS_INDEX_4 = """CREATE INDEX articles_rows ON articles (
    first_seen, id, source, slug, published, updated, data_hash, digest_id, skipped_at,
    retracted_at, retract_reason, file_hash
)"""
_ARTICLE_ROWS_INDEX = """CREATE INDEX articles_rows ON articles (
    first_seen, id, source, slug, published, updated, data_hash, retracted_at,
    retract_reason, file_hash, topics
)"""

# Schema 4's pending articles (one digest): see newsletter_articles for what replaced them.
_PENDING_WHERE_4 = "digest_id IS NULL AND skipped_at IS NULL AND retracted_at IS NULL"
_DIGEST_INDEXES_4 = f"""CREATE INDEX articles_digest ON articles (digest_id)
    WHERE digest_id IS NOT NULL;
CREATE INDEX articles_pending ON articles (published DESC, id) WHERE {_PENDING_WHERE_4}"""

# Each newsletter's articles waiting for its next digest, as every `run` asks (digest due?):
# usually a handful, so a partial index holds just them (a site that began with `digest skip`
# has thousands of skipped rows, and SQLite without ANALYZE statistics would walk them), and
# another only the digested rows, for a digest's members. The WHERE must stay the queries'
# own words (store/digests.py) for the planner to match it; a test pins both plans.
PENDING_WHERE = "n.digest_id IS NULL AND n.skipped_at IS NULL"
_NEWSLETTER_ARTICLES = """CREATE TABLE newsletter_articles (
    newsletter TEXT NOT NULL,           -- its id; '' = the digest of a config without any
    article_id TEXT NOT NULL,           -- articles(id): articles are never deleted
    digest_id  TEXT,                    -- the newsletter's digest that announced it; NULL = not yet
    skipped_at TEXT,                    -- `digest skip`: never goes into this newsletter's digest
    PRIMARY KEY (newsletter, article_id)
);
CREATE INDEX newsletter_pending ON newsletter_articles (newsletter, article_id)
    WHERE digest_id IS NULL AND skipped_at IS NULL;
CREATE INDEX newsletter_digests ON newsletter_articles (digest_id) WHERE digest_id IS NOT NULL"""
_DIGESTS_BY_NEWSLETTER = "CREATE INDEX digests_newsletter ON digests (newsletter, created)"

# The operator console (#24): its accounts and their sessions. A session is kept as the
# SHA-256 of its cookie's value, so a copy of the state (a backup) opens no session; its
# CSRF token is random per session. Sessions go with their account (ON DELETE CASCADE, and
# `admin passwd` ends them too).
_CONSOLE = """
CREATE TABLE admins (
    name     TEXT PRIMARY KEY,          -- login name, lower case
    password TEXT NOT NULL,             -- argon2id hash (PHC string)
    added    TEXT NOT NULL,
    changed  TEXT NOT NULL
);
CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,        -- sha256 of the cookie's value
    name       TEXT NOT NULL REFERENCES admins(name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,           -- the token every form of this session carries
    created    REAL NOT NULL,           -- epoch seconds
    expires    REAL NOT NULL            -- created + server.admin_session_hours
);
"""

_ARTICLES_TABLE = """CREATE TABLE articles (
    id             TEXT PRIMARY KEY,    -- feed guid/id: never changes once written
    source         TEXT NOT NULL UNIQUE,-- inbox path, forward slashes
    slug           TEXT NOT NULL UNIQUE,
    file_hash      TEXT NOT NULL,       -- sha256 of the file's bytes: skip unchanged files fast
    content_hash   TEXT NOT NULL,       -- Article.content_hash(): what readers see
    first_seen     TEXT NOT NULL,
    published      TEXT NOT NULL,
    updated        TEXT NOT NULL,
    data           TEXT NOT NULL,       -- the Article as JSON
    data_hash      TEXT,                -- sha256 of data: what its pages were rendered from
    retracted_at   TEXT,                -- `retract`: out of every feed and digest, id kept
    retract_reason TEXT,
    topics         TEXT                 -- feed folders, "lang/en tags/ports" (NULL: unknown yet)
)"""

SCHEMA = (
    """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,             -- schema_version, state_id
    value TEXT NOT NULL
);
"""
    + _ARTICLES_TABLE
    + """;
CREATE INDEX articles_file_hash ON articles (file_hash);
"""
    + _ARTICLE_ROWS_INDEX
    + ";\n"
    + _NEWSLETTER_ARTICLES
    + """;
CREATE TABLE rejections (
    source    TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL,            -- not retried until the file changes
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE TABLE runs (
    id        INTEGER PRIMARY KEY,
    started   TEXT NOT NULL,
    finished  TEXT,
    trigger   TEXT NOT NULL,
    summary   TEXT,                     -- JSON counts
    details   TEXT,                     -- JSON lists the report pointed to (status shows them)
    error     TEXT,                     -- why it stopped, if it did not finish
    admin     TEXT                      -- the console account that started it (#24)
);
CREATE TABLE digests (
    id       TEXT PRIMARY KEY,
    created  TEXT NOT NULL,
    articles TEXT NOT NULL,             -- JSON list of article ids, newest first
    newsletter TEXT NOT NULL DEFAULT '' -- whose digest it is ('' = the one of a config without)
);
"""
    + _DIGESTS_BY_NEWSLETTER
    + """;
CREATE TABLE subscribers (
    email    TEXT PRIMARY KEY,          -- lower-cased address
    name     TEXT NOT NULL DEFAULT '',
    token    TEXT NOT NULL UNIQUE,      -- unsubscribe secret
    status   TEXT NOT NULL
             CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced', 'complained')),
    language TEXT NOT NULL DEFAULT '',  -- BCP 47; '' = the site's
    added    TEXT NOT NULL,
    changed  TEXT NOT NULL,
    confirm_token   TEXT UNIQUE,        -- double opt-in: secret of the pending confirmation
    confirm_sent_at REAL,               -- epoch seconds of the last confirmation message
    soft_bounces    INTEGER NOT NULL DEFAULT 0, -- in a row; reset by a delivery
    newsletters     TEXT NOT NULL DEFAULT ''    -- ids held, separated by spaces; '' = the defaults
);
CREATE INDEX subscribers_status ON subscribers (status, email);
CREATE TABLE suppressions (
    hash   TEXT PRIMARY KEY,            -- subscriber_key() of an erased address: never re-added
    reason TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE TABLE deliveries (
    digest_id TEXT NOT NULL REFERENCES digests(id),
    email     TEXT NOT NULL,
    status    TEXT NOT NULL
              CHECK (status IN ('pending', 'sent', 'failed', 'in_doubt', 'dropped')),
    attempts  INTEGER NOT NULL DEFAULT 0,
    at        TEXT,
    detail    TEXT NOT NULL DEFAULT '',
    next_attempt REAL,                  -- epoch seconds: not before (backoff after a failure)
    claimed_by   TEXT,                  -- the worker sending it now …
    lease_until  REAL,                  -- … until then (epoch seconds); expired = free again
    bounce       TEXT,                  -- what came back for it: "hard 5.1.1", "soft 4.2.2" …
    PRIMARY KEY (digest_id, email)
);
CREATE INDEX deliveries_open ON deliveries (status, next_attempt);
-- claim order without a sort of the whole queue (100,000 pending rows would be sorted per claim)
CREATE INDEX deliveries_queue ON deliveries (status, digest_id, email);
CREATE TABLE resends (
    id        INTEGER PRIMARY KEY,
    digest_id TEXT NOT NULL REFERENCES digests(id),
    email     TEXT NOT NULL,
    at        TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''  -- where it went
);
CREATE TABLE renders (
    path      TEXT PRIMARY KEY,         -- output file, relative to paths.feeds
    input_key TEXT NOT NULL             -- hash of everything it was rendered from
);
CREATE TABLE inbox_index (
    source    TEXT PRIMARY KEY,         -- inbox path, forward slashes
    signature TEXT NOT NULL,            -- size, times, inode of the file and its sidecar …
    file_hash TEXT NOT NULL             -- … when its fingerprint was this (git's index)
);
"""
    + _CONSOLE
)

_PG_TYPES = (
    (
        re.compile(r"\bINTEGER PRIMARY KEY\b"),
        "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
)


def in_words(ddl: str, dialect: str) -> str:
    """DDL written in SQLite's words (the schema, a migration) in those of `dialect`
    ("sqlite" or "postgresql"). Migrations need it as much as the schema: schema 6's step
    said `REAL` and made the console's session times 4-byte floats on PostgreSQL (pinned by
    tests/test_postgresql.py, which compares an upgraded state's column types with a new
    one's)."""
    if dialect != "postgresql":
        return ddl
    for pattern, replacement in _PG_TYPES:
        ddl = pattern.sub(replacement, ddl)
    return ddl


def schema_for(dialect: str) -> str:
    """The newest schema's DDL in the words of `dialect` ("sqlite" or "postgresql")."""
    return in_words(SCHEMA, dialect)


# Schema 7 (#23, newsletters): each newsletter's pending set and digests in
# newsletter_articles (the one digest's, from articles.digest_id and skipped_at, becomes
# newsletter ''), digests and subscribers say whose and which, articles gain their topics
# (NULL: filled in by the next publish, site/topics.py). Dropping the two columns is the one
# step the engines need said differently: PostgreSQL drops them; SQLite before 3.35 cannot,
# so the table is rebuilt as SQLite's documentation prescribes.
_SCHEMA_7_BOTH = (
    _NEWSLETTER_ARTICLES
    + """;
INSERT INTO newsletter_articles (newsletter, article_id, digest_id, skipped_at)
    SELECT '', id, digest_id, skipped_at FROM articles;
ALTER TABLE digests ADD COLUMN newsletter TEXT NOT NULL DEFAULT '';
"""
    + _DIGESTS_BY_NEWSLETTER
    + """;
ALTER TABLE subscribers ADD COLUMN newsletters TEXT NOT NULL DEFAULT '';
DROP INDEX articles_rows;
DROP INDEX articles_pending;
DROP INDEX articles_digest;
"""
)
_ARTICLES_7 = (
    "id, source, slug, file_hash, content_hash, first_seen, published, updated, data,"
    " data_hash, retracted_at, retract_reason"
)
_SCHEMA_7 = {
    # Also: the console's session times as a new state has them, for a state main's step 6
    # made REAL (see in_words).
    "postgresql": _SCHEMA_7_BOTH
    + """ALTER TABLE admin_sessions ALTER COLUMN created TYPE DOUBLE PRECISION;
ALTER TABLE admin_sessions ALTER COLUMN expires TYPE DOUBLE PRECISION;
ALTER TABLE articles DROP COLUMN digest_id;
ALTER TABLE articles DROP COLUMN skipped_at;
ALTER TABLE articles ADD COLUMN topics TEXT;
"""
    + _ARTICLE_ROWS_INDEX,
    "sqlite": _SCHEMA_7_BOTH
    + "DROP INDEX articles_file_hash;\n"
    + _ARTICLES_TABLE.replace("CREATE TABLE articles (", "CREATE TABLE articles_v7 (", 1)
    + ";\n"
    + f"INSERT INTO articles_v7 ({_ARTICLES_7}) SELECT {_ARTICLES_7} FROM articles;\n"
    "DROP TABLE articles;\n"
    "ALTER TABLE articles_v7 RENAME TO articles;\n"
    "CREATE INDEX articles_file_hash ON articles (file_hash);\n" + _ARTICLE_ROWS_INDEX,
}

# (schema version reached, script: the same for both engines, or one per dialect). Each runs
# inside the one upgrade transaction.
MIGRATIONS: list[tuple[int, str | dict[str, str]]] = [
    (
        2,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        ALTER TABLE articles ADD COLUMN data_hash TEXT;
        ALTER TABLE articles ADD COLUMN skipped_at TEXT;
        ALTER TABLE articles ADD COLUMN retracted_at TEXT;
        ALTER TABLE articles ADD COLUMN retract_reason TEXT;
        CREATE INDEX articles_file_hash ON articles (file_hash);
        CREATE INDEX articles_digest ON articles (digest_id);
        ALTER TABLE runs ADD COLUMN details TEXT;
        ALTER TABLE runs ADD COLUMN error TEXT;
        CREATE TABLE subscribers_v2 (
            email    TEXT PRIMARY KEY,
            name     TEXT NOT NULL DEFAULT '',
            token    TEXT NOT NULL UNIQUE,
            status   TEXT NOT NULL
                     CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced',
                                       'complained')),
            language TEXT NOT NULL DEFAULT '',
            added    TEXT NOT NULL,
            changed  TEXT NOT NULL,
            confirm_token   TEXT UNIQUE,
            confirm_sent_at REAL,
            soft_bounces    INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO subscribers_v2 (email, name, token, status, added, changed)
            SELECT email, name, token, status, added, changed FROM subscribers;
        DROP TABLE subscribers;
        ALTER TABLE subscribers_v2 RENAME TO subscribers;
        CREATE TABLE suppressions (hash TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);
        CREATE TABLE deliveries_v2 (
            digest_id TEXT NOT NULL REFERENCES digests(id),
            email     TEXT NOT NULL,
            status    TEXT NOT NULL
                      CHECK (status IN ('pending', 'sent', 'failed', 'in_doubt', 'dropped')),
            attempts  INTEGER NOT NULL DEFAULT 0,
            at        TEXT,
            detail    TEXT NOT NULL DEFAULT '',
            next_attempt REAL,
            claimed_by   TEXT,
            lease_until  REAL,
            bounce       TEXT,
            PRIMARY KEY (digest_id, email)
        );
        INSERT INTO deliveries_v2 (digest_id, email, status, attempts, at, detail)
            SELECT digest_id, email, status, attempts, at, detail FROM deliveries;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_v2 RENAME TO deliveries;
        CREATE INDEX deliveries_open ON deliveries (status, next_attempt);
        CREATE INDEX deliveries_queue ON deliveries (status, digest_id, email);
        CREATE TABLE resends (
            id        INTEGER PRIMARY KEY,
            digest_id TEXT NOT NULL REFERENCES digests(id),
            email     TEXT NOT NULL,
            at        TEXT NOT NULL,
            detail    TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE renders (path TEXT PRIMARY KEY, input_key TEXT NOT NULL);
        CREATE TABLE inbox_index (
            source    TEXT PRIMARY KEY,
            signature TEXT NOT NULL,
            file_hash TEXT NOT NULL
        );
        """,
    ),
    (3, _ARTICLE_ROWS_INDEX_4),
    (4, "DROP INDEX articles_digest;\n" + _DIGEST_INDEXES_4),
    # 5: never used (see LATEST_VERSION). The console: accounts and sessions, who started a
    # run, and the subscribers' index by status (a page of 100 of one status at 100,000
    # subscribers reads 100 index entries instead of walking the table).
    (
        6,
        "ALTER TABLE runs ADD COLUMN admin TEXT;\n"
        "CREATE INDEX subscribers_status ON subscribers (status, email);\n" + _CONSOLE,
    ),
    (7, _SCHEMA_7),
]
