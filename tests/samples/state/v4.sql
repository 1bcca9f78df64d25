-- A schema-4 SQLite state (syndicate before #23, made with its own functions): articles skipped,
-- digested, retracted and waiting; subscribers active and gone; a digest with its deliveries.
BEGIN TRANSACTION;
CREATE TABLE articles (
    id             TEXT PRIMARY KEY,    
    source         TEXT NOT NULL UNIQUE,
    slug           TEXT NOT NULL UNIQUE,
    file_hash      TEXT NOT NULL,       
    content_hash   TEXT NOT NULL,       
    first_seen     TEXT NOT NULL,
    published      TEXT NOT NULL,
    updated        TEXT NOT NULL,
    data           TEXT NOT NULL,       
    data_hash      TEXT,                
    digest_id      TEXT,                
    skipped_at     TEXT,                
    retracted_at   TEXT,                
    retract_reason TEXT
);
INSERT INTO "articles" VALUES('tag:news.example.org,2026-11-30:old','old.md','old','h0','5faafecf1874044dbfac6664b9ffeb97eae09949057df68df04eef652b566845','2026-11-30T07:00:00+07:00','2026-11-30T07:00:00+07:00','2026-11-30T07:00:00+07:00','{"author": null, "blocks": [{"kind": "paragraph", "marker": "", "text": "Body of An old story."}], "body_html": null, "dek": "", "first_seen": "2026-11-30T07:00:00+07:00", "id": "tag:news.example.org,2026-11-30:old", "image": null, "key_bullets": ["One point."], "language": "en", "location": null, "published": "2026-11-30T07:00:00+07:00", "related": [], "slug": "old", "source": "old.md", "summary": "Summary of An old story.", "tags": ["archive"], "title": "An old story", "updated": "2026-11-30T07:00:00+07:00", "url": null}','1512271019970f22bbbf66048cf1148d1f2aaf2fc547325383365a2ac0d22a9c',NULL,'2026-11-30T07:00:00+07:00',NULL,NULL);
INSERT INTO "articles" VALUES('tag:news.example.org,2026-11-30:harbour','harbour.md','harbour','h1','72f7c70adc0f20898d2f376717a35494e3a12b1d1ffd87a3f43805685418ab73','2026-11-30T08:00:00+07:00','2026-11-30T08:00:00+07:00','2026-11-30T08:00:00+07:00','{"author": null, "blocks": [{"kind": "paragraph", "marker": "", "text": "Body of Harbour reopens."}], "body_html": null, "dek": "", "first_seen": "2026-11-30T08:00:00+07:00", "id": "tag:news.example.org,2026-11-30:harbour", "image": null, "key_bullets": ["One point."], "language": "en", "location": null, "published": "2026-11-30T08:00:00+07:00", "related": [], "slug": "harbour", "source": "harbour.md", "summary": "Summary of Harbour reopens.", "tags": ["ports", "weather"], "title": "Harbour reopens", "updated": "2026-11-30T08:00:00+07:00", "url": null}','3357c08f64b99ab6747818c2f26d44c1f516e8d6c5e0c433a0dd7012487203e9','2026-11-30-001',NULL,NULL,NULL);
INSERT INTO "articles" VALUES('tag:news.example.org,2026-11-30:berita','berita.md','berita','h2','9842a207e91067ac5e9c975b239aa66f0261a84cd1547796302a910c525f7f5a','2026-11-30T08:00:00+07:00','2026-11-30T08:00:00+07:00','2026-11-30T08:00:00+07:00','{"author": null, "blocks": [{"kind": "paragraph", "marker": "", "text": "Body of Pelabuhan dibuka."}], "body_html": null, "dek": "", "first_seen": "2026-11-30T08:00:00+07:00", "id": "tag:news.example.org,2026-11-30:berita", "image": null, "key_bullets": ["One point."], "language": "id", "location": null, "published": "2026-11-30T08:00:00+07:00", "related": [], "slug": "berita", "source": "berita.md", "summary": "Summary of Pelabuhan dibuka.", "tags": ["ports"], "title": "Pelabuhan dibuka", "updated": "2026-11-30T08:00:00+07:00", "url": null}','a5fc12b40780c36bf64fdbf379e30488317c26c6199c3b65c9088a3da3f02a11','2026-11-30-001',NULL,NULL,NULL);
INSERT INTO "articles" VALUES('tag:news.example.org,2026-12-01:wrong','wrong.md','wrong','h3','193b731af77982d90dd702c8a3433a38c6541450f5a030f905cac8c5a761f428','2026-12-01T07:00:00+07:00','2026-12-01T07:00:00+07:00','2026-12-01T07:00:00+07:00','{"author": null, "blocks": [{"kind": "paragraph", "marker": "", "text": "Body of A wrong story."}], "body_html": null, "dek": "", "first_seen": "2026-12-01T07:00:00+07:00", "id": "tag:news.example.org,2026-12-01:wrong", "image": null, "key_bullets": ["One point."], "language": "en", "location": null, "published": "2026-12-01T07:00:00+07:00", "related": [], "slug": "wrong", "source": "wrong.md", "summary": "Summary of A wrong story.", "tags": [], "title": "A wrong story", "updated": "2026-12-01T07:00:00+07:00", "url": null}','50be2e973c25b6cd46131b9073a7c6e572ad7fe1717414c335424334e713a28c',NULL,NULL,'2026-12-01T07:00:00+07:00','wrong facts');
INSERT INTO "articles" VALUES('tag:news.example.org,2026-12-01:storm','storm.md','storm','h4','9218eeff9bcb51dc347e2acea3c68696bfa5e46bfae011af7030fd2b33a3b995','2026-12-01T07:00:00+07:00','2026-12-01T07:00:00+07:00','2026-12-01T07:00:00+07:00','{"author": null, "blocks": [{"kind": "paragraph", "marker": "", "text": "Body of Storm warning."}], "body_html": null, "dek": "", "first_seen": "2026-12-01T07:00:00+07:00", "id": "tag:news.example.org,2026-12-01:storm", "image": null, "key_bullets": ["One point."], "language": "en", "location": null, "published": "2026-12-01T07:00:00+07:00", "related": [], "slug": "storm", "source": "storm.md", "summary": "Summary of Storm warning.", "tags": ["weather"], "title": "Storm warning", "updated": "2026-12-01T07:00:00+07:00", "url": null}','2664ff9cdbfe519f1a91127ab5a8d6b7d65e92addfeef8ac24d6f33701bc2875',NULL,NULL,NULL,NULL);
CREATE TABLE deliveries (
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
INSERT INTO "deliveries" VALUES('2026-11-30-001','reader@example.org','sent',1,'2026-11-30T08:00:00+07:00','',NULL,NULL,NULL,NULL);
INSERT INTO "deliveries" VALUES('2026-11-30-001','leser@example.org','pending',0,NULL,'',NULL,NULL,NULL,NULL);
CREATE TABLE digests (
    id       TEXT PRIMARY KEY,
    created  TEXT NOT NULL,
    articles TEXT NOT NULL              
);
INSERT INTO "digests" VALUES('2026-11-30-001','2026-11-30T08:00:00+07:00','["tag:news.example.org,2026-11-30:berita", "tag:news.example.org,2026-11-30:harbour"]');
CREATE TABLE inbox_index (
    source    TEXT PRIMARY KEY,         
    signature TEXT NOT NULL,            
    file_hash TEXT NOT NULL             
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,             
    value TEXT NOT NULL
);
INSERT INTO "meta" VALUES('state_id','abe940372cd026a24d30f7b1d9dd2b91');
INSERT INTO "meta" VALUES('schema_version','4');
INSERT INTO "meta" VALUES('articles_version','80d3780fe52911d9');
CREATE TABLE rejections (
    source    TEXT PRIMARY KEY,
    file_hash TEXT NOT NULL,            
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE TABLE renders (
    path      TEXT PRIMARY KEY,         
    input_key TEXT NOT NULL             
);
CREATE TABLE resends (
    id        INTEGER PRIMARY KEY,
    digest_id TEXT NOT NULL REFERENCES digests(id),
    email     TEXT NOT NULL,
    at        TEXT NOT NULL,
    detail    TEXT NOT NULL DEFAULT ''  
);
CREATE TABLE runs (
    id        INTEGER PRIMARY KEY,
    started   TEXT NOT NULL,
    finished  TEXT,
    trigger   TEXT NOT NULL,
    summary   TEXT,                     
    details   TEXT,                     
    error     TEXT                      
);
CREATE TABLE subscribers (
    email    TEXT PRIMARY KEY,          
    name     TEXT NOT NULL DEFAULT '',
    token    TEXT NOT NULL UNIQUE,      
    status   TEXT NOT NULL
             CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced', 'complained')),
    language TEXT NOT NULL DEFAULT '',  
    added    TEXT NOT NULL,
    changed  TEXT NOT NULL,
    confirm_token   TEXT UNIQUE,        
    confirm_sent_at REAL,               
    soft_bounces    INTEGER NOT NULL DEFAULT 0  
);
INSERT INTO "subscribers" VALUES('reader@example.org','Reader','xzy3DnclGDfAuMel7x3w4joXqo15zFv7','active','','2026-11-30T07:00:00+07:00','2026-11-30T07:00:00+07:00',NULL,NULL,0);
INSERT INTO "subscribers" VALUES('leser@example.org','Leser','E8aUBeM9gmLX06U8P_n8-dX6rYoYgSZT','active','de','2026-11-30T07:00:00+07:00','2026-11-30T07:00:00+07:00',NULL,NULL,0);
INSERT INTO "subscribers" VALUES('gone@example.org','','sEgT1zKLUcAw-uQ13SL5DH9xbVbf80QV','unsubscribed','','2026-11-30T07:00:00+07:00','2026-11-30T07:00:00+07:00',NULL,NULL,0);
CREATE TABLE suppressions (
    hash   TEXT PRIMARY KEY,            
    reason TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX articles_file_hash ON articles (file_hash);
CREATE INDEX articles_digest ON articles (digest_id)
    WHERE digest_id IS NOT NULL;
CREATE INDEX articles_pending ON articles (published DESC, id) WHERE digest_id IS NULL AND skipped_at IS NULL AND retracted_at IS NULL;
CREATE INDEX articles_rows ON articles (
    first_seen, id, source, slug, published, updated, data_hash, digest_id, skipped_at,
    retracted_at, retract_reason, file_hash
);
CREATE INDEX deliveries_open ON deliveries (status, next_attempt);
CREATE INDEX deliveries_queue ON deliveries (status, digest_id, email);
COMMIT;
