"""Regulator-facing summaries and reports."""
