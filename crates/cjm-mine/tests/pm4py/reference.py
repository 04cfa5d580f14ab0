#!/usr/bin/env python3
"""PM4Py's view of the real logs, as the golden files the engine is tested
against: DFG edge counts, start and end activity counts, and variant counts.

    ../shared/peers/.venv/bin/python crates/cjm-mine/tests/pm4py/reference.py

(needs pm4py; `bash ../shared/peers/check.sh` sets up that virtualenv).
Writes receipt.json and bpic2012.json beside this script. PM4Py reads every
event (no lifecycle filter), so the test reads with `--lifecycle all`.
"""
import json
import os
import sys

import pm4py

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data", "logs")


def reference(path):
    df = pm4py.read_xes(path)
    dfg, starts, ends = pm4py.discover_dfg(df)
    variants = pm4py.get_variants(df)
    def count(v):
        return v if isinstance(v, int) else len(v)
    return {
        "events": int(len(df)),
        "cases": int(df["case:concept:name"].nunique()),
        "dfg": sorted([[a, b, int(n)] for (a, b), n in dfg.items()]),
        "start_activities": sorted([[a, int(n)] for a, n in starts.items()]),
        "end_activities": sorted([[a, int(n)] for a, n in ends.items()]),
        # Every variant's count, and the 200 most frequent with their sequences.
        "variant_counts": sorted((count(v) for v in variants.values()), reverse=True),
        "top_variants": sorted([[list(k) if not isinstance(k, str) else k.split(","), count(v)] for k, v in variants.items()],
                               key=lambda x: (-x[1], x[0]))[:200],
    }


def main():
    for name, file in [("receipt", "receipt.xes.gz"), ("bpic2012", "bpic2012.xes.gz")]:
        out = reference(os.path.join(DATA, file))
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(out, f, indent=1, sort_keys=True, ensure_ascii=True)
            f.write("\n")
        print(name, out["cases"], "cases", out["events"], "events", len(out["variant_counts"]), "variants", file=sys.stderr)


if __name__ == "__main__":
    main()
