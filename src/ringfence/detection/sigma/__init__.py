"""Sigma rules compiled to SQL over enriched access events (our own small compiler on top of pySigma's parser).

H2's correlation compiler lives in ``ringfence.detection.sigma.correlation``; import it from there.
"""

from ringfence.detection.sigma.compiler import (
    CompileContext,
    CompiledDetection,
    compile_detection,
    rule_identity,
)
from ringfence.detection.sigma.errors import SigmaCompileError
from ringfence.detection.sigma.fields import DEFAULT_FIELD_MAPPING
from ringfence.detection.sigma.parsing import parse_rules

__all__ = [
    "DEFAULT_FIELD_MAPPING",
    "CompileContext",
    "CompiledDetection",
    "SigmaCompileError",
    "compile_detection",
    "parse_rules",
    "rule_identity",
]

# Correlations (C3), re-exported for convenience.
from ringfence.detection.sigma.correlation import (  # noqa: I001 - kept apart from the block above
    CompiledCorrelation as CompiledCorrelation,
    compile_correlation as compile_correlation,
    match_column as match_column,
)
