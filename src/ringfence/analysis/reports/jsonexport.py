"""The JSON export: the report document plus, for a frozen campaign, the SHA-256 it was approved with.

For a frozen campaign ``report`` is byte-for-byte the approved document: hashing its canonical form
(``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``) gives ``report_sha256``.
"""

from __future__ import annotations

import json
from typing import Any

from ..models import Campaign


def report_json(campaign: Campaign, document: dict[str, Any]) -> bytes:
    """UTF-8 JSON, indented for reading."""
    envelope = {
        "report": document,
        "frozen": campaign.frozen,
        "report_sha256": campaign.report_sha256 or None,
        "figures_sha256": campaign.figures_sha256 or None,
    }
    return json.dumps(envelope, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
