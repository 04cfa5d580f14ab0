"""Runs a cjm-spark plan (JSON, from `cargo run -p cjm-spark --example plan`)
on a Spark Connect server over one Parquet log in the canonical layout, and
writes each query's answer as an Arrow IPC file NAME.arrow into OUT.

    python spark-parity.py sc://127.0.0.1:15002 PLAN.json LOG.parquet OUT/
"""
import json
import os
import sys

import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql.functions import array, lit


def params(p):
    out = {}
    for k, v in p.items():
        out[k] = array(*[lit(x) for x in v]) if isinstance(v, list) else v
    return out


def main():
    remote, plan_path, log, out = sys.argv[1:5]
    plan = json.load(open(plan_path))
    spark = SparkSession.builder.remote(remote).getOrCreate()
    for k, v in plan["conf"]:
        spark.conf.set(k, v)
    spark.read.parquet(log).createOrReplaceTempView(plan["source_view"])
    for s in plan["setup"]:
        spark.sql(s["sql"], args=params(s["params"]) or None)
    os.makedirs(out, exist_ok=True)
    for q in plan["queries"]:
        s = q["statement"]
        table = spark.sql(s["sql"], args=params(s["params"]) or None).toArrow()
        with pa.OSFile(os.path.join(out, q["name"] + ".arrow"), "wb") as f:
            with pa.ipc.new_file(f, table.schema) as w:
                w.write_table(table)
    for s in plan["teardown"]:
        spark.sql(s["sql"])
    spark.stop()


if __name__ == "__main__":
    main()
