"""Inbox files → Article. One module per format; chosen by suffix, or by sniffing. Issue #3.

`read_article` owns everything about the *file* (where it is, how big, which bytes, which
encoding); the format readers only ever see clean text. Every way a file can be unusable ends
in an `ArticleError` whose message is one line fit for the run report.
"""
