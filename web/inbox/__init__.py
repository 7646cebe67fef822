"""The managers' inbox: server-rendered pages over the same services as the API."""
