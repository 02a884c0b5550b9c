"""Stand-in for ``awsglue.context``: a GlueContext over an existing SparkContext."""

from __future__ import annotations

from typing import Any


class GlueContext:
    """Holds the SparkContext and its SparkSession, as Glue's ``GlueContext.spark_session``."""

    def __init__(self, spark_context: Any) -> None:
        from pyspark.sql import SparkSession

        self.spark_context = spark_context
        self.spark_session = SparkSession(spark_context)
