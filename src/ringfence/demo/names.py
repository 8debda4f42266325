"""Generated Japanese names from Faker ``ja_JP`` (kanji, katakana and romaji agree); no real person's data."""

from __future__ import annotations

import random
from functools import cache

from faker.providers.address.ja_JP import Provider as AddressProvider
from faker.providers.person.ja_JP import Provider as PersonProvider

NamePart = tuple[str, str, str]


def _cp932_safe(parts: list[NamePart]) -> list[NamePart]:
    """Keep names the CP932 people master can hold (a few rare kanji are outside it)."""
    safe = []
    for part in parts:
        try:
            part[0].encode("cp932")
            part[1].encode("cp932")
        except UnicodeEncodeError:
            continue
        safe.append(part)
    return safe


@cache
def _pools() -> tuple[list[NamePart], list[float], list[NamePart], list[NamePart]]:
    last = _cp932_safe(list(PersonProvider.last_name_pairs))
    last_weights = [float(PersonProvider.last_name_pairs[p]) for p in last]
    male = _cp932_safe(list(PersonProvider.first_name_male_pairs))
    female = _cp932_safe(list(PersonProvider.first_name_female_pairs))
    return last, last_weights, male, female


def person_name(rng: random.Random) -> tuple[str, str, tuple[str, str]]:
    """A random person's (氏名, フリガナ, (romaji family, romaji given)); family names weighted as in Japan."""
    last, weights, male, female = _pools()
    family = rng.choices(last, weights)[0]
    given = rng.choice(male if rng.random() < 0.7 else female)
    return (
        f"{family[0]} {given[0]}",
        f"{family[1]} {given[1]}",
        (family[2].lower(), given[2].lower()),
    )


def _town(city: str) -> str:
    """'印旛郡酒々井町' -> '酒々井', '八千代市' -> '八千代'; office names use the bare town name."""
    name = city.split("郡")[-1]
    return name[:-1] if name[-1:] in "市町村区" else name


def town_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct town names for offices (Faker's ja_JP city list without the 市 suffix)."""
    cities = sorted({_town(c) for c in AddressProvider.cities} - {""})
    if count > len(cities):
        raise ValueError("not enough distinct town names")
    return rng.sample(cities, count)
