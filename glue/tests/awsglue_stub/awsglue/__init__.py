"""Test stand-in for the parts of AWS Glue's ``awsglue`` library that glue/job.py touches.

The real library ships only inside Glue (not on PyPI). glue/tests/conftest.py puts the folder
above this one on ``sys.path``; nothing else does. Only the thin wrappers are stubbed
(argument resolution, GlueContext, Job init/commit): the job's reads, SQL and writes run on real
PySpark.
"""
