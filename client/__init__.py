"""The one Temporal client module: connection, the party client, push-back retries."""
