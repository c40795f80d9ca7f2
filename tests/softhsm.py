"""A SoftHSM2 token for a test (Debian's softhsm2): a directory of its own with its own
softhsm2.conf, a TestingCA identity's key and certificate (and its chain) imported into it, and
the application configured to use it as the agency's key.

    from tests.softhsm import configured_token, make_token, needs_softhsm

    @needs_softhsm
    def test_x(app, tmp_path):
        identity = TestingCA.make().issue("Sở Nội vụ", organisation="Sở Nội vụ")
        token = make_token(tmp_path / "token", identity)
        with configured_token(app, token):
            with signing.agency_signer() as signer: ...

SOFTHSM2_CONF is set (and restored afterwards) before app.security.signing loads the module;
signing loads the module again when the configuration changed since (another test's token, the
demo's)."""
from contextlib import contextmanager

import pytest

from app.security.demo_signing import SoftHSMToken, make_softhsm_token, softhsm_available

needs_softhsm = pytest.mark.skipif(
    not softhsm_available(),
    reason="SoftHSM2 is not installed (softhsm2-util, /usr/lib/softhsm/libsofthsm2.so: "
           "Debian package softhsm2, `make signing`)")

PIN = "246810"
TOKEN_LABEL = "eoffice-test"
KEY_LABEL = "co-quan"


def make_token(directory, identity, *, token_label: str = TOKEN_LABEL, pin: str = PIN,
               key_label: str = KEY_LABEL) -> SoftHSMToken:
    """A new token in `directory` holding `identity` (app.security.testing_ca.Identity)."""
    return make_softhsm_token(directory, identity, token_label=token_label, pin=pin,
                              key_label=key_label)


@contextmanager
def configured_token(app, token: SoftHSMToken, **overrides):
    """The app's agency key is `token` (SIGNING_AGENCY_PKCS11_*, SOFTHSM2_CONF) inside the
    block; `overrides` replace config values (e.g. SIGNING_AGENCY_PKCS11_PIN="0000")."""
    import os

    values = {"SIGNING_AGENCY_PKCS11_MODULE": token.module,
              "SIGNING_AGENCY_PKCS11_TOKEN": token.token_label,
              "SIGNING_AGENCY_PKCS11_PIN": token.pin,
              "SIGNING_AGENCY_PKCS11_KEY_LABEL": token.key_label,
              "SIGNING_AGENCY_P12_FILE": ""}
    values.update(overrides)
    saved = {key: app.config.get(key) for key in values}
    saved_env = os.environ.get("SOFTHSM2_CONF")
    app.config.update(values)
    os.environ["SOFTHSM2_CONF"] = token.conf
    try:
        yield token
    finally:
        app.config.update(saved)
        if saved_env is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = saved_env
