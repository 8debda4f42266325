"""Errors of the Sigma compiler."""

from __future__ import annotations

from ringfence.core.errors import RingfenceError


class SigmaCompileError(RingfenceError):
    """A rule that parsed but cannot be turned into SQL; the message names the rule and the reason."""
