"""Inbox files → Article: `read.read_article` chooses a reader by suffix (or by sniffing the
content) and owns everything about the file; one module per format (`text`, `markdown`,
`html`) sees only clean text (`hygiene`), with what publishers write around an article
(`meta`, `bios`, `markers`, `dates`, `frontmatter`, `sidecar`, `page`) read by modules of
their own.
"""
