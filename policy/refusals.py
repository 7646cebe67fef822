"""The one exception the policy's checks raise."""


class PolicyRefusal(Exception):
    """A message the policy does not allow; `rule` names the rule (e.g. "R14")."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
