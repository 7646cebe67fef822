"""The HTTP front door: the JSON API for case systems and managers, and the managers' inbox."""
