import pytest

from .world import build_logins, build_world


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Password hashing at production strength makes every login seconds slow; the checks stay the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def logins(world):
    return build_logins()
