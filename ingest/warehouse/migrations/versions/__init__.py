"""Revisions of the warehouse schema, oldest first (``NNNN_<slug>.py``)."""
