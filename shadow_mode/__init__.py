"""Shadow pilots (issue #5): the engine beside the front desk, never acting. Not built yet."""
