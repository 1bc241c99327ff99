"""The SQL store: engine, tables, call records, encryption at rest. A leaf: imports no feature."""
