"""The state: articles, rejections, runs, digests, subscribers, deliveries.

The only SQL in the tree lives in this package, one module per kind of record; callers use
`from syndicate import store` and the names below. Every write is its own short transaction
so that a crash loses at most the step in flight: delivery state in particular is committed
per recipient.
"""

from syndicate.store.articles import (
    StoredFile,
    all_articles,
    article_from_json,
    article_to_json,
    count_articles,
    move_article,
    record_rejection,
    rejections,
    save_article,
    slugify,
    source_of,
    sources_with_hash,
    stored_file,
    tag_uri,
)
from syndicate.store.db import (
    Database,
    StateError,
    open_store,
    schema_version,
    state_id,
    transaction,
)
from syndicate.store.digests import (
    MAX_ATTEMPTS,
    Delivery,
    create_digest,
    delivery_counts,
    digest_articles,
    digests,
    failed_deliveries,
    mark_delivery,
    open_deliveries,
    requeue_failed,
    undigested_articles,
)
from syndicate.store.runs import finish_run, recent_runs, start_run
from syndicate.store.subscribers import (
    add_subscriber,
    get_subscriber,
    subscriber_key,
    subscriber_statuses,
    subscribers,
    unsubscribe,
)

__all__ = [
    "MAX_ATTEMPTS",
    "Database",
    "Delivery",
    "StateError",
    "StoredFile",
    "add_subscriber",
    "all_articles",
    "article_from_json",
    "article_to_json",
    "count_articles",
    "create_digest",
    "delivery_counts",
    "digest_articles",
    "digests",
    "failed_deliveries",
    "finish_run",
    "get_subscriber",
    "mark_delivery",
    "move_article",
    "open_deliveries",
    "open_store",
    "recent_runs",
    "record_rejection",
    "rejections",
    "requeue_failed",
    "save_article",
    "schema_version",
    "slugify",
    "source_of",
    "sources_with_hash",
    "start_run",
    "state_id",
    "stored_file",
    "subscriber_key",
    "subscriber_statuses",
    "subscribers",
    "tag_uri",
    "transaction",
    "undigested_articles",
    "unsubscribe",
]
