"""The embedded stack: a local PostgreSQL cluster and a local S3 endpoint."""
