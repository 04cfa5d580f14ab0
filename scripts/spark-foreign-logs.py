"""Writes the foreign Parquet logs of the Spark parity test into DIR: logs
not in cjm's canonical layout, which the Spark backend reads by cjm's
reader rules in SQL. Deterministic (seeded). Needs pyarrow.

- edge.parquet: names padded with Unicode White_Space (tabs, U+00A0,
  U+3000), empty and null customers and touchpoints, null times (bad
  rows, customers only in them), times in milliseconds (UTC), ties at the
  same millisecond, NaN, null and negative scores, lifecycle spelled
  `start`, `COMPLETE` and `complete`, a customer attribute whose first
  values are empty, an integer event attribute, a float attribute (read
  only when asked), seven row groups.
- local.parquet: integer customer ids, local times in microseconds
  (read in `--tz`), integer scores, no lifecycle.
- dates.parquet: dates as times, a boolean channel.
- inf.parquet: an infinite score in row 8 (the read stops, naming it).
- text_time.parquet: times as text (refused on Spark, named).
- receipt_10rg.parquet (given RECEIPT): the receipt log as pandas wrote
  it (nanosecond local times), cut into ten row groups.

    python3 scripts/spark-foreign-logs.py DIR [RECEIPT]
"""
import datetime as dt
import math
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq

out = sys.argv[1]
rng = random.Random(20261208)
pad = ["", " ", "\t", "\u00a0", "\u3000", " \u2003"]


def padded(name):
    return rng.choice(pad) + name + rng.choice(pad)


def edge():
    rows = {k: [] for k in ["Case ID", "Activity", "Complete Timestamp", "channel", "rating",
                            "lifecycle:transition", "case:tier", "org:unit", "price"]}
    base = 1_704_067_200_000  # 2024-01-01T00:00:00Z in ms
    touch = ["a", "ab", "a b", "café", "pay", "search", ""]
    for c in range(300):
        n = 1 if c % 11 == 0 else rng.randint(2, 9)
        t = base + rng.randint(0, 10**9)
        tier = None if c % 3 == 0 else f"T{c % 4}"
        for k in range(n):
            if rng.random() > 0.3:
                t += rng.randint(1, 4 * 10**6)
            customer = padded(f"C{c:03d}")
            if c % 47 == 5:
                customer = rng.choice(["", None, " \u3000"])  # bad rows only
            rows["Case ID"].append(customer)
            a = rng.choice(touch)
            rows["Activity"].append(None if a == "" and k % 2 else padded(a))
            rows["Complete Timestamp"].append(None if rng.random() < 0.03 else t)
            rows["channel"].append(rng.choice([None, "", padded("web"), "app", padded("shop")]))
            rows["rating"].append(rng.choice([None, float("nan"), 3.0, 4.5, -2.25, 0.1, -0.0]))
            rows["lifecycle:transition"].append(rng.choice(["start", "COMPLETE", "complete", "complete", None]))
            rows["case:tier"].append(rng.choice(["", tier]) if k == 0 else tier)
            rows["org:unit"].append(rng.choice([None, 1, 2, 30]))
            rows["price"].append(rng.choice([None, 1.5, 2.0]))
    schema = pa.schema([
        ("Case ID", pa.string()), ("Activity", pa.string()),
        ("Complete Timestamp", pa.timestamp("ms", tz="UTC")), ("channel", pa.string()),
        ("rating", pa.float64()), ("lifecycle:transition", pa.string()), ("case:tier", pa.string()),
        ("org:unit", pa.int64()), ("price", pa.float64()),
    ])
    pq.write_table(pa.table(rows, schema=schema), f"{out}/edge.parquet", row_group_size=300)


def local():
    rows = {"customer_id": [], "timestamp": [], "touchpoint": [], "score": []}
    base = dt.datetime(2024, 3, 30, 22, 0, 0)
    for c in range(200):
        t = base + dt.timedelta(minutes=rng.randint(0, 5000))
        for _ in range(rng.randint(1, 8)):
            t += dt.timedelta(microseconds=rng.randint(0, 3 * 10**9))
            rows["customer_id"].append(1000 + c)
            rows["timestamp"].append(t)
            rows["touchpoint"].append(rng.choice(["visit", "signup", "buy", "help"]))
            rows["score"].append(rng.choice([None, 1, 5, -3]))
    schema = pa.schema([("customer_id", pa.int64()), ("timestamp", pa.timestamp("us")),
                        ("touchpoint", pa.string()), ("score", pa.int32())])
    pq.write_table(pa.table(rows, schema=schema), f"{out}/local.parquet", row_group_size=250)


def dates():
    rows = {"user": [], "date": [], "event": [], "channel": []}
    for c in range(150):
        d = dt.date(2023, 12, 25) + dt.timedelta(days=rng.randint(0, 30))
        for _ in range(rng.randint(1, 6)):
            d += dt.timedelta(days=rng.randint(0, 3))
            rows["user"].append(f"u{c}")
            rows["date"].append(d)
            rows["event"].append(rng.choice(["open", "read", "reply"]))
            rows["channel"].append(rng.choice([True, False, None]))
    schema = pa.schema([("user", pa.string()), ("date", pa.date32()), ("event", pa.string()),
                        ("channel", pa.bool_())])
    pq.write_table(pa.table(rows, schema=schema), f"{out}/dates.parquet")


def inf():
    n = 20
    scores = [1.0] * n
    scores[7] = math.inf
    scores[12] = -math.inf
    table = pa.table({
        "case": [f"c{i % 4}" for i in range(n)],
        "time": pa.array([1_700_000_000_000_000 + i for i in range(n)], pa.timestamp("us", tz="UTC")),
        "activity": ["x"] * n,
        "score": scores,
    })
    pq.write_table(table, f"{out}/inf.parquet")


def text_time():
    table = pa.table({"case": ["a", "b"], "time": ["2024-01-01T00:00:00Z", "2024-01-02"], "activity": ["x", "y"]})
    pq.write_table(table, f"{out}/text_time.parquet")


def receipt_10rg(path):
    pq.write_table(pq.read_table(path), f"{out}/receipt_10rg.parquet", row_group_size=900)


edge()
local()
dates()
inf()
text_time()
if len(sys.argv) > 2:
    receipt_10rg(sys.argv[2])
