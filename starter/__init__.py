"""Entry points that start things: the `ubp` console script, the dev stack, the API server, the worker."""
