"""ringfence: proof that a T&D utility's non-public information stays ring-fenced from its affiliated retailer."""

__version__ = "0.1.0"
