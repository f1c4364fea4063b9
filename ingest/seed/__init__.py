"""Deterministic synthetic cities written in exactly the landing-zone formats."""
