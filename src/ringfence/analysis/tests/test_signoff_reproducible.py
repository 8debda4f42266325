"""Sign-off by reviewer and approver (roles, scope, order, four eyes, audit trail), freezing, and
reproducibility: a frozen campaign recomputed after late logs and registry corrections gives identical
figures, while a fresh computation sees the changes."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from ringfence.analysis.models import CampaignStatus
from ringfence.analysis.services.campaigns import (
    access_of,
    approve,
    create_campaign,
    review,
    run_campaign,
    sha256_of,
    verify_frozen,
)
from ringfence.analysis.services.figures import canonical_json
from ringfence.analysis.services.pinning import Pin, PinBroken, pin_inputs
from ringfence.audit.models import AuditEvent
from ringfence.authz.services import create_login
from ringfence.core.errors import RingfenceError
from ringfence.logs.lake import append
from ringfence.logs.lake.layout import lake_dir
from ringfence.logs.tests.test_lake_support import make_events
from ringfence.registry.models import Entitlement, InformationSystem, Person

from .conftest import labels, week_of

pytestmark = pytest.mark.django_db


def test_sign_off_freeze_and_reproduce(demo_world: Path) -> None:
    start, end = week_of(demo_world)
    campaign = create_campaign(
        name="三系統", start=start, end=end, actor="test", systems=["CIS", "JUKYU", "SWITCH"]
    )
    run_campaign(campaign, actor="test", detect=False)
    campaign.refresh_from_db()
    create_login("rev", "pw-rev-123456", ["analyst"])
    create_login("boss", "pw-boss-123456", ["conduct_officer"])
    create_login("boss2", "pw-boss2-123456", ["conduct_officer"])
    create_login("owner", "pw-owner-123456", ["system_owner"], systems=["SWITCH"])
    rows = {cs.system.code: cs for cs in campaign.systems.select_related("system", "campaign")}

    # A system owner reviews their own system, and only that one; they cannot approve.
    review(rows["SWITCH"], username="owner", access=access_of("owner"))
    with pytest.raises(RingfenceError, match="may not review CIS"):
        review(rows["CIS"], username="owner", access=access_of("owner"))
    with pytest.raises(RingfenceError, match="may not approve"):
        approve(rows["SWITCH"], username="owner", access=access_of("owner"))
    # An analyst reviews but does not approve; approval waits for the review; the reviewer never approves.
    with pytest.raises(RingfenceError, match="not been reviewed"):
        approve(rows["CIS"], username="boss", access=access_of("boss"))
    review(rows["CIS"], username="rev", access=access_of("rev"))
    with pytest.raises(RingfenceError, match="may not approve"):
        approve(rows["CIS"], username="rev", access=access_of("rev"))
    review(rows["JUKYU"], username="boss2", access=access_of("boss2"))
    with pytest.raises(RingfenceError, match="cannot also approve"):
        approve(rows["JUKYU"], username="boss2", access=access_of("boss2"))
    approve(rows["CIS"], username="boss", access=access_of("boss"))
    approve(rows["SWITCH"], username="boss", access=access_of("boss"), note="設定是正を指示")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPUTED  # one system still waits
    approve(rows["JUKYU"], username="boss", access=access_of("boss"))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED and campaign.frozen
    assert campaign.report_sha256 == hashlib.sha256(canonical_json(campaign.frozen_report)).hexdigest()
    signed = AuditEvent.objects.filter(
        target_type="analysis.campaign", target_ref__startswith=f"{campaign.pk}/"
    )
    steps = sorted((e.detail["step"], e.actor, e.target_ref.split("/")[1]) for e in signed)
    assert steps == [
        ("approve", "boss", "CIS"), ("approve", "boss", "JUKYU"), ("approve", "boss", "SWITCH"),
        ("review", "boss2", "JUKYU"), ("review", "owner", "SWITCH"), ("review", "rev", "CIS"),
    ]  # fmt: skip
    assert all(e.detail["figures_sha256"] == campaign.figures_sha256 for e in signed)
    assert AuditEvent.objects.filter(target_ref=str(campaign.pk), detail__step="frozen").count() == 1
    with pytest.raises(RingfenceError, match="frozen"):
        run_campaign(campaign, actor="test", detect=False)
    with pytest.raises(RingfenceError, match="cannot be signed"):
        review(rows["CIS"], username="rev", access=access_of("rev"))

    # The world changes after approval: late SWITCH logs for the week, and the registry is corrected so
    # that the person whose update and export SWITCH let through is entitled to update (recorded now).
    (switch_label,) = [label for label in labels(demo_world) if label["system"] == "SWITCH"]
    late = make_events(
        [{"system": "SWITCH", "source": "switch-jsonl", "account": switch_label["account"], "activity": "update",
          "time": start + dt.timedelta(days=3, hours=2, minutes=m)} for m in range(5)],
        source_file="late/switch.jsonl",
    )  # fmt: skip
    assert sum(f.rows for f in append(late, origin="late", actor="test")) == 5
    Entitlement.objects.create(
        system=InformationSystem.objects.get(code="SWITCH"),
        person=Person.objects.get(employee_number=switch_label["person"]),
        function="*", level="export", valid_from=start - dt.timedelta(days=30), source="correction",
    )  # fmt: skip

    # Recomputing the frozen campaign from its pin reproduces the approved figures exactly ...
    result = verify_frozen(campaign, actor="test")
    assert result.identical, result.differences
    assert result.recomputed_sha256 == campaign.figures_sha256
    # ... while a fresh pin sees both changes (so the comparison above could have failed).
    from ringfence.analysis.services.campaigns import _compute, reproducible_part

    fresh = _compute(campaign, pin_inputs(start, end, ["CIS", "JUKYU", "SWITCH"]))
    assert sha256_of(reproducible_part(fresh)) != campaign.figures_sha256
    switch_then = campaign.figures["systems"]["SWITCH"]
    assert fresh["systems"]["SWITCH"]["statistics"]["events"] == switch_then["statistics"]["events"] + 5
    assert fresh["systems"]["SWITCH"]["effectiveness"]["impossible_count"] == 0
    assert switch_then["effectiveness"]["impossible_count"] > 0

    # A pinned file altered behind the lake's back makes verification refuse, naming the file.
    pinned = Pin.from_json(campaign.pinned_files).files[0]
    with (lake_dir() / pinned.path).open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(PinBroken, match=pinned.path):
        verify_frozen(campaign, actor="test")
