"""The embedded default's parts: the Temporal dev server and the demo data."""
