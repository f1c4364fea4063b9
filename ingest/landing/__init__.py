"""Parsers and validators for every file kind of the landing-zone contract."""
