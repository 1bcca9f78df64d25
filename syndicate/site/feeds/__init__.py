"""The feeds: stored articles → RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents, the main
feeds and their RFC 5005 archive pages. The only place that touches feedgen.

- `entries`: one stored article → one `Entry`, cleaned once for all three formats;
- `archive`: which entries go in which document (the window and the archive pages);
- `xml`: RSS and Atom (feedgen builds, lxml repairs: the traps are listed there);
- `jsonfeed`: JSON Feed, written with `json` from the same entries;
- `render`: every feed document of a site, in one call;
- `websub`: telling a hub that the feeds changed.
"""
