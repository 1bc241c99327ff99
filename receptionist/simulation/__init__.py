"""Synthetic callers, the scenario spec, runner and reports: test tools, never run in production."""
