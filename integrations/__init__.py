"""CRM, scheduling and ticketing behind small protocols, with a reference SQL implementation."""
