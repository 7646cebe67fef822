"""How the periodic workflows call activities that read or write the records database."""

from datetime import timedelta

from temporalio.common import RetryPolicy

# The records database may be down a while: reading and recording retry forever.
RECORDS_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
RECORDS_TIMEOUT = timedelta(seconds=30)
