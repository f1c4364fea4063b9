"""Gate-capture re-verification against enrolment photos, and city-wide identity fraud.

:mod:`ingest.face` is the pure face library; this package connects it to the bucket and
the warehouse: which captures to verify, which enrolment each is compared with, the
embedding cache, the ``face_verifications`` feed (staged, gated and published like any
other), and the identity-fraud search.
"""
