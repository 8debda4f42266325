"""The detection engine (contract C5): load rules, evaluate them in one scan, group matches into findings.

``load_ruleset``  built-in pack + user rules + settings, compiled (``RuleSet``)
``catalogue``     every rule's metadata (``RuleMeta``), for alert pages and reports
``evaluate``      matched rows of a relation of enriched events (one scan for all detections)
``findings_from`` rows → one ``Finding`` per rule, entity and incident window
``analyze``       a period of the lake end to end (``AnalysisResult``), alerts raised, run recorded
"""

from .evaluate import evaluate, evaluate_detailed
from .incidents import findings_from, window_start
from .loader import RuleSet, catalogue, display_ruleset, load_ruleset, user_rules_dir
from .meta import RuleMeta
from .run import AnalysisResult, analyze, prepare

__all__ = [
    "AnalysisResult",
    "RuleMeta",
    "RuleSet",
    "analyze",
    "catalogue",
    "display_ruleset",
    "evaluate",
    "evaluate_detailed",
    "findings_from",
    "load_ruleset",
    "prepare",
    "user_rules_dir",
    "window_start",
]
