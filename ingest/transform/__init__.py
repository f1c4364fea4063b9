"""dbt invocation against the configured warehouse."""
