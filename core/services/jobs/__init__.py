"""Jobs: what runs on a schedule against the venues (the order monitor, reconciliation)."""
