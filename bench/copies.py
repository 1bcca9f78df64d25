"""Cost of building one subscriber's copy of a digest as the delivery engine does, against
`bytes.replace` of the per-recipient strings in prebuilt bytes (the floor of "build once,
personalize bytes").

    python -m bench.copies CONFIG COUNT      (prints one JSON line)

CONFIG is a site whose pending articles make the digest (ingested, not yet digested) and
with at least COUNT + 1 subscribers.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.internals import copy_builder


def main() -> None:
    config, count = Path(sys.argv[1]), int(sys.argv[2])
    build, tokens = copy_builder(config, count)
    prebuilt = build(0)  # the first copy also encodes the template: not timed
    start = time.perf_counter()
    for i in range(1, count + 1):
        build(i)
    built = time.perf_counter() - start

    # The baseline swaps the same strings in copy 0 for another subscriber's, with no
    # encoding care at all: the floor any personalization scheme pays.
    replace_count = max(count, 2000)
    start = time.perf_counter()
    for i in range(replace_count):
        data = prebuilt
        for j, token in enumerate(tokens):
            data = data.replace(token, b"%s-%d-%d" % (token[:-4], i, j))
    replaced = time.perf_counter() - start
    print(
        json.dumps(
            {
                "build_s": built / count,
                "replace_s": replaced / replace_count,
                "size": len(prebuilt),
            }
        )
    )


if __name__ == "__main__":
    main()
