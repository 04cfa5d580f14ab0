"""Writes the edge-case log of the Spark parity test as CSV on stdout:
one-event customers, time ties at the same microsecond, rows with an empty
touchpoint or a bad time (customers only in such rows too), non-whole and
negative scores, non-ASCII names, `a` beside `ab` and `a b`, and a customer
named like a session (`C001#2`). Deterministic (seeded).

    python3 scripts/spark-edge-log.py > edge.csv
"""
import random

rng = random.Random(20261207)
touch = ["a", "ab", "a b", "café", "Zahlung ✓", "search", "cart", "pay", ""]
channels = ["web", "app", "", "shop"]
print("customer_id,timestamp,touchpoint,channel,score")
base = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in µs
for c in range(400):
    name = "C001#2" if c == 7 else f"C{c:03d}"
    n = 1 if c % 9 == 0 else rng.randint(2, 12)
    t = base + rng.randint(0, 10**12)
    for _ in range(n):
        if rng.random() > 0.3:  # else: a tie at the same microsecond
            t += rng.randint(1, 5 * 10**9)
        s, us = divmod(t, 10**6)
        from datetime import datetime, timezone
        when = datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{us:06d}Z"
        if c % 50 == 3:
            when = "not a time"  # customers only in bad rows
        score = rng.choice(["", "", "3", "4.5", "0.1", "-2.25", "1e-3", "-0"])
        print(f"{name},{when},{rng.choice(touch)},{rng.choice(channels)},{score}")
