"""`ubp`, the command line for case-system messages, staff, tasks and adjustments."""
