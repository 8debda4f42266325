import pytest

from ringfence.authz.tests.world import build_logins, build_world


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Password hashing at production strength makes every login slow; the checks stay the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def logins(db):
    build_world()
    return build_logins()
