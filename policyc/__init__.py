"""policyc: a declarative policy engine for HR rules."""

__version__ = "0.1.0"
