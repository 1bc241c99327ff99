"""Settings, and loading and validating every YAML file: flows, matrix, profile, compliance, NLU."""
