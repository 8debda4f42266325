"""Build the demo utility's registry in memory, deterministically from a seed."""

from __future__ import annotations

import datetime as dt
import random

from .accounts import build_entitlements_and_accounts
from .catalogue import build_catalogue
from .facilities import build_facilities
from .organisation import build_people, build_roles_and_responsibilities, build_units
from .world import World

SCALES = {"small": 0.1, "default": 1.0, "large": 1.0}


def rng_for(seed: int, part: str) -> random.Random:
    """An independent random stream per part, so adding to one part does not reshuffle the others."""
    return random.Random(f"ringfence-demo:{seed}:{part}")


def build_world(seed: int, size: str, week_start: dt.date) -> tuple[World, dict[str, tuple[str, str]]]:
    """The registry of the demo utility and where each person works from (hostname, IP)."""
    world = World(seed=seed, week_start=week_start, snapshot=week_start + dt.timedelta(days=7))
    build_units(world, rng_for(seed, "units"))
    build_people(world, rng_for(seed, "people"), SCALES[size])
    build_roles_and_responsibilities(world, rng_for(seed, "responsibilities"))
    world.systems = build_catalogue()
    world.misconfigured_system = "SWITCH"
    hosts = build_facilities(world, rng_for(seed, "facilities"))
    build_entitlements_and_accounts(world, rng_for(seed, "accounts"))
    return world, hosts
