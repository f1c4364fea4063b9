"""Great Expectations gate: suites built in code, checkpoints on staged batches.

:mod:`.suites` (what is checked, with severities), :mod:`.project` (the GX file context
under ``expectations/gx``), :mod:`.volume` (batch parameters), :mod:`.gate` (running a
checkpoint on a staged batch), :mod:`.results` (``ops.gate_results`` and the data-quality
mart query), :mod:`.docs` (Data Docs, local and S3), :mod:`.bench` (gate vs load time).
"""
