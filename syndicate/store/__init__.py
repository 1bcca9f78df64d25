"""The state: articles, rejections, runs, digests, subscribers, deliveries, render keys.

The only SQL in the tree lives in this package, one module per kind of record; callers use
`from syndicate import store` and the names below. Every write is its own short transaction
so that a crash loses at most the step in flight: delivery state in particular is committed
per recipient.
"""
