"""Exceptions raised by :mod:`ingest.face`.

Per-image problems (no face, unreadable bytes, ...) are *not* exceptions: they are
reason codes on the results. Exceptions are for the installation being wrong.
"""

from __future__ import annotations


class FaceError(Exception):
    """Base class of the face library's exceptions."""


class FetchError(FaceError):
    """A pinned artefact could not be downloaded through the package registry."""


class IntegrityError(FaceError):
    """A file's SHA-256 differs from the pinned or recorded value."""


class ModelPackError(FaceError):
    """The model pack is missing, malformed or cannot be loaded."""
