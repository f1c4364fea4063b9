"""Great Expectations gate: suites built in code, checkpoints on staged batches."""
