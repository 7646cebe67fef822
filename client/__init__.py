"""The one Temporal client module: connection (envconfig), payload encryption and its key ring, the party
client, push-back retries, decoded histories."""
