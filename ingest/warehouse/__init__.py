"""Postgres side of loading: schemas, COPY, staging → gate → publish, row accounting."""
