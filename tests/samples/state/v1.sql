PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE articles (
    id           TEXT PRIMARY KEY,      -- feed guid/id; never changes once written
    source       TEXT NOT NULL UNIQUE,  -- inbox path, forward slashes
    slug         TEXT NOT NULL UNIQUE,
    file_hash    TEXT NOT NULL,         -- sha256 of the file's bytes: skip unchanged files fast
    content_hash TEXT NOT NULL,         -- Article.content_hash(): what readers see
    first_seen   TEXT NOT NULL,
    published    TEXT NOT NULL,
    updated      TEXT NOT NULL,
    data         TEXT NOT NULL,         -- the Article as JSON
    digest_id    TEXT                   -- the digest that announced it; NULL = not yet
);
INSERT INTO articles VALUES('tag:news.example.org,2026-11-30:000-6bd5c2adaf47451d','000_6bd5c2adaf47451d.txt','000-6bd5c2adaf47451d','bcda11070caace55c95ff4ea3c8758300dc3e58144d35945de59ae04d4dfe19b','c3ba900c77b1cf28c679bac7a0aaf90a39aef63f2ccf425b41c97036009127b1','2026-11-30T19:12:44.118813+07:00','2026-11-30T19:12:44.118813+07:00','2026-11-30T19:12:44.118813+07:00','{"author": {"bio": "Alexander Rossi is the Creator and Editor for Gadget & Teknologi with a degree in Information Technology from the University of California, Berkeley. With over 11 years of experience in technology journalism, Alexander has covered cutting-edge innovations, product reviews, and digital trends globally. He has contributed to top tech outlets, providing expert analysis on gadgets and tech developments. Currently at Agen BRILink dan BRI, Alexander leads content creation and editorial strategy, delivering comprehensive and engaging technology insights.", "email": null, "name": "Alexander Rossi", "url": null}, "blocks": [{"kind": "paragraph", "marker": "", "text": "Lebih dari 11.000 tentara Korea Utara, dan mungkin lebih, terlibat dalam pertempuran di pihak Rusia dalam perang melawan Ukraina. Hal ini menimbulkan kekhawatiran di kalangan analis internasional. Namun, posisi Tiongkok mengenai masalah ini memprihatinkan, tulisnya dalam sebuah artikel Kebijakan Luar Negeri Jacob Stokes, peneliti senior dan wakil direktur Program Keamanan Indo-Pasifik di Pusat Keamanan Amerika Baru."}, {"kind": "paragraph", "marker": "", "text": "Partisipasi Pyongyang dalam perang di pihak Rusia dapat menimbulkan tantangan bagi Tiongkok karena potensi hilangnya reputasi Beijing, risiko ketidakstabilan situasi di Semenanjung Korea, dan penguatan koalisi Rusia-Korea Utara di belakang Tiongkok."}, {"kind": "paragraph", "marker": "", "text": "Namun asumsi tersebut tidak sepenuhnya sesuai dengan kenyataan. Seperti yang ditulis oleh pakar tersebut, Tiongkok mungkin tidak hanya tidak akan menentang kerja sama Pyongyang dengan Moskow, namun mungkin juga melihat keuntungan tertentu dari hal ini untuk kepentingannya sendiri."}, {"kind": "heading", "marker": "•", "text": "Keuntungan geopolitik"}, {"kind": "paragraph", "marker": "", "text": "Tiongkok memandang perang di Ukraina sebagai cara untuk melemahkan fokus strategis Amerika Serikat, yang terpaksa membagi sumber daya antara Eropa dan Asia. Partisipasi Korea Utara memungkinkan Rusia untuk melanjutkan perang sekaligus memperkuat blok otoriter."}, {"kind": "heading", "marker": "•", "text": "Dasar ideologis dan strategis"}, {"kind": "paragraph", "marker": "", "text": "Beijing mendukung tesis “kepentingan keamanan sah” Moskow, yang konsisten dengan kebijakan Tiongkok terhadap Taiwan, India, dan sekutu AS di wilayah tersebut. Dengan demikian, Rusia bukan hanya mitra militer, tetapi juga sekutu ideologis dalam konfrontasi dengan dunia demokrasi."}, {"kind": "heading", "marker": "•", "text": "Peran instrumental DPRK"}, {"kind": "paragraph", "marker": "", "text": "Pyongyang telah menjadi pelaksana tugas-tugas yang tidak dapat dilaksanakan secara terbuka oleh Tiongkok karena kekhawatiran akan sanksi. Bantuan militer Korea Utara memungkinkan Tiongkok untuk mempertahankan citra “detasemen” sambil mencapai tujuan Moskow."}, {"kind": "heading", "marker": "", "text": "Kemungkinan risiko bagi Tiongkok"}, {"kind": "paragraph", "marker": "", "text": "Meskipun Tiongkok secara umum menyetujui tindakan Korea Utara, ada beberapa kekhawatiran. Secara khusus, Beijing prihatin dengan kerja sama teknologi antara Moskow dan Pyongyang: Rusia telah membantu DPRK dalam teknologi luar angkasa dan rudal."}, {"kind": "paragraph", "marker": "", "text": "Selain itu, keberadaan pasukan Korea Utara di Rusia dapat terkena pengaruh negatif yang dapat menimbulkan masalah internal."}, {"kind": "paragraph", "marker": "", "text": "Aktivitas Korea Utara mungkin mendorong Seoul untuk memberikan bantuan militer ke Ukraina, yang akan meningkatkan ketegangan di kawasan. Hal ini juga membuat Tiongkok khawatir."}, {"kind": "paragraph", "marker": "", "text": "Stokes yakin Tiongkok kecil kemungkinannya akan ikut campur dalam kerja sama antara Rusia dan Korea Utara. Beijing memandang aliansi ini positif bagi stabilitas rezimnya dan peluang untuk mengalihkan perhatian AS dan sekutunya. Pada saat yang sama, upaya Barat untuk mempengaruhi Tiongkok mengenai masalah ini tampaknya tidak menjanjikan."}, {"kind": "paragraph", "marker": "", "text": "Sebelumnya, Gedung Putih mengomentari hilangnya pasukan Korea Utara di wilayah Kursk. Secara khusus, penasihat Gedung Putih John Kirby mengatakan bahwa Rusia harus menyediakan lebih banyak kantong jenazah kepada para pejuang ini, karena kerugian akan meningkat."}, {"kind": "paragraph", "marker": "", "text": "Veteran ATO Yevgeny Dikiy juga berbicara tentang pasukan DPRK dalam perang tersebut. Menurutnya, tentara Korea Utara ternyata hanya menjadi “umpan meriam” biasa bagi Rusia."}], "body_html": null, "first_seen": "2026-11-30T19:12:44.118813+07:00", "id": "tag:news.example.org,2026-11-30:000-6bd5c2adaf47451d", "image": null, "key_bullets": ["Keuntungan geopolitik: Tiongkok memandang perang di Ukraina sebagai cara untuk melemahkan fokus strategis Amerika Serikat…", "Dasar ideologis dan strategis: Beijing mendukung tesis “kepentingan keamanan sah” Moskow…", "Peran instrumental DPRK: Pyongyang telah menjadi pelaksana tugas-tugas yang tidak dapat dilaksanakan secara terbuka oleh Tiongkok karena kekhawatiran akan sanksi."], "language": "id", "location": null, "published": "2026-11-30T19:12:44.118813+07:00", "related": [{"title": "Pasukan Korea Utara di garis depan – berita terbaru", "url": null}], "slug": "000-6bd5c2adaf47451d", "source": "000_6bd5c2adaf47451d.txt", "summary": "Lebih dari 11.000 tentara Korea Utara, dan mungkin lebih, terlibat dalam pertempuran di pihak Rusia dalam perang melawan Ukraina. Hal ini menimbulkan kekhawatiran di kalangan analis internasional. Namun, posisi Tiongkok mengenai masalah ini memprihatinkan, tulisnya dalam sebuah artikel Kebijakan Luar Negeri Jacob Stokes, peneliti senior dan wakil direktur Program Keamanan Indo-Pasifik di Pusat Keamanan Amerika Baru.", "tags": [], "title": "Kerja sama militer antara Korea Utara dan Rusia pada umumnya adalah demi kepentingan Tiongkok dalam melawan Barat.", "updated": "2026-11-30T19:12:44.118813+07:00", "url": null}','2026-11-30-001');
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
    summary   TEXT                      -- JSON counts
);
INSERT INTO runs VALUES(1,'2026-11-30T19:12:44.118813+07:00','2026-11-30T19:12:47.074828+07:00','cli','{"digest": "2026-11-30-001", "failed": 0, "feeds_written": 3, "moved": 0, "new": 1, "rejected": 0, "sent": 1, "still_rejected": 0, "unchanged": 0, "updated": 0, "waiting": 0}');
CREATE TABLE digests (
    id       TEXT PRIMARY KEY,
    created  TEXT NOT NULL,
    articles TEXT NOT NULL              -- JSON list of article ids, newest first
);
INSERT INTO digests VALUES('2026-11-30-001','2026-11-30T19:12:44.118813+07:00','["tag:news.example.org,2026-11-30:000-6bd5c2adaf47451d"]');
CREATE TABLE subscribers (
    email   TEXT PRIMARY KEY,           -- lower-cased address
    name    TEXT NOT NULL DEFAULT '',
    token   TEXT NOT NULL UNIQUE,       -- unsubscribe secret
    status  TEXT NOT NULL CHECK (status IN ('active', 'unsubscribed')),
    added   TEXT NOT NULL,
    changed TEXT NOT NULL
);
INSERT INTO subscribers VALUES('reader@example.org','Pembaca Contoh','JK25AvpDrw7Phkuj4G9PTUlvd80kREM4','active','2026-11-30T19:12:44.118813+07:00','2026-11-30T19:12:44.118813+07:00');
INSERT INTO subscribers VALUES('gone@example.org','','XdIEgDLBOJdp2UASfAj766qtB6RO3WiW','unsubscribed','2026-11-30T19:12:48.118858+07:00','2026-11-30T19:12:48.942861+07:00');
CREATE TABLE deliveries (
    digest_id TEXT NOT NULL REFERENCES digests(id),
    email     TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts  INTEGER NOT NULL DEFAULT 0,
    at        TEXT,
    detail    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (digest_id, email)
);
INSERT INTO deliveries VALUES('2026-11-30-001','reader@example.org','sent',1,'2026-11-30T19:12:44.118813+07:00','');
COMMIT;
