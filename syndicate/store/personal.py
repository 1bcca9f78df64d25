"""What syndicate keeps about one person, as the preference page hands it over ("download my
data", #23): the subscriber's row and every delivery and resend made to them. Erasure is
store/subscribers.erase_subscriber."""

from __future__ import annotations

from typing import Any

from syndicate.store.db import Database


def subscriber_record(conn: Database, token: str) -> dict[str, Any] | None:
    """Everything stored about the subscriber whose links carry `token`, as plain data;
    None for a token nobody has. Secrets (the token itself) are left out."""
    row = conn.execute(
        "SELECT email, name, status, language, newsletters, added, changed, soft_bounces"
        " FROM subscribers WHERE token = ?",
        (token,),
    ).fetchone()
    if row is None:
        return None
    email = row["email"]
    deliveries = conn.execute(
        "SELECT d.digest_id, g.newsletter, d.status, d.attempts, d.at, d.bounce"
        " FROM deliveries d JOIN digests g ON g.id = d.digest_id WHERE d.email = ?"
        " ORDER BY d.digest_id",
        (email,),
    ).fetchall()
    resends = conn.execute(
        "SELECT digest_id, at FROM resends WHERE email = ? ORDER BY id", (email,)
    ).fetchall()
    return {
        "email": email,
        "name": row["name"],
        "status": row["status"],
        "language": row["language"],
        "newsletters": row["newsletters"].split(),
        "added": row["added"],
        "changed": row["changed"],
        "soft_bounces": row["soft_bounces"],
        "deliveries": [
            {
                "digest": d["digest_id"],
                "newsletter": d["newsletter"],
                "status": d["status"],
                "attempts": d["attempts"],
                "at": d["at"],
                "bounce": d["bounce"],
            }
            for d in deliveries
        ],
        "resends": [{"digest": r["digest_id"], "at": r["at"]} for r in resends],
    }
