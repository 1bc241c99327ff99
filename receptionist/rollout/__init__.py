"""Rolling out with discipline: stages and gates, readiness, QA cadence, KPIs and their charts."""
