"""The demo's keys (ký số, `flask eoffice setup --demo`): a CA "chỉ để thử nghiệm" under
INSTANCE_DIR/demo-ca, its root and intermediate as trust anchors, the agency's key on a SoftHSM2
token there (a PKCS#12 file when SoftHSM2 is not installed), and a key and certificate for each
leader (people/<username>.p12, a confirmed PersonalCertificate). Idempotent: setup runs at every
`make run`; what exists is kept.

`make_softhsm_token` is also how the tests make a token: a directory of its own with its own
softhsm2.conf, the key and the certificates imported with python-pkcs11 in a child process (the
PIN travels on its standard input, never on a command line but softhsm2-util's own)."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy import select

from app.core.files import make_private, private_dir, write_private

DEMO_DIR = "demo-ca"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
DEMO_TOKEN_LABEL = "eoffice-demo"
DEMO_KEY_LABEL = "co-quan"  # the agency's key and certificate
TOKEN_FILE = "token.json"  # module, conf, token label, PIN, key label (mode 600)
AGENCY_P12 = "agency.p12"  # without SoftHSM2
PEOPLE_DIR = "people"
SUBPROCESS_TIMEOUT = 60


@dataclass
class SoftHSMToken:
    """Where a SoftHSM2 token is and how to open it."""
    module: str
    conf: str  # its softhsm2.conf: SOFTHSM2_CONF when the module is loaded
    token_label: str
    pin: str
    key_label: str

    def environment(self) -> dict:
        return {**os.environ, "SOFTHSM2_CONF": self.conf}


def softhsm_available() -> bool:
    return bool(shutil.which("softhsm2-util")) and Path(SOFTHSM_MODULE).is_file()


# The child process that imports the key and the certificates (stdin: JSON, hex-encoded DER).
_IMPORT_SCRIPT = r"""
import json, sys
import pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
from pkcs11.util.rsa import decode_rsa_private_key
from asn1crypto import x509

spec = json.loads(sys.stdin.read())
lib = pkcs11.lib(spec["module"])
token = lib.get_token(token_label=spec["token"])
with token.open(rw=True, user_pin=spec["pin"]) as session:
    attributes = decode_rsa_private_key(bytes.fromhex(spec["key"]))
    attributes.update({Attribute.TOKEN: True, Attribute.PRIVATE: True,
                       Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                       Attribute.LABEL: spec["label"], Attribute.ID: bytes.fromhex(spec["id"])})
    session.create_object(attributes)
    for number, (label, der) in enumerate(spec["certs"]):
        der = bytes.fromhex(der)
        cert = x509.Certificate.load(der)
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509, Attribute.TOKEN: True,
            Attribute.LABEL: label,
            Attribute.ID: bytes.fromhex(spec["id"]) if number == 0 else bytes([0x10 + number]),
            Attribute.SUBJECT: cert.subject.dump(), Attribute.VALUE: der})
"""


def make_softhsm_token(directory, identity, *, token_label: str, pin: str,
                       key_label: str, so_pin: str | None = None) -> SoftHSMToken:
    """A new SoftHSM2 token in `directory` (its softhsm2.conf and tokens/) holding the key of
    `identity` (app.security.testing_ca.Identity) and its certificate under `key_label`, and
    the certificates of its chain (labels "ca-1", …)."""
    directory = private_dir(directory)
    tokens = private_dir(directory / "tokens")
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n", encoding="utf-8")
    token = SoftHSMToken(SOFTHSM_MODULE, str(conf), token_label, pin, key_label)
    env = token.environment()
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", token_label,
                    "--so-pin", so_pin or secrets.token_hex(8), "--pin", pin],
                   env=env, check=True, capture_output=True, timeout=SUBPROCESS_TIMEOUT)
    key_der = identity.key.private_bytes(serialization.Encoding.DER,
                                         serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption())
    certs = [(key_label, identity.cert_der.hex())] + [
        (f"ca-{number}", cert.public_bytes(serialization.Encoding.DER).hex())
        for number, cert in enumerate(identity.chain, start=1)]
    spec = {"module": SOFTHSM_MODULE, "token": token_label, "pin": pin, "label": key_label,
            "id": "01", "key": key_der.hex(), "certs": certs}
    subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT], input=json.dumps(spec),
                   text=True, env=env, check=True, capture_output=True,
                   timeout=SUBPROCESS_TIMEOUT)
    return token


# --------------------------------------------------------------------------- where the demo's
# keys are

def demo_directory(app=None) -> Path:
    app = app or current_app
    return Path(app.config["INSTANCE_DIR"]) / DEMO_DIR


def demo_token(app=None) -> SoftHSMToken | None:
    """The demo's agency token, when the demo made one (and SoftHSM2 is still there)."""
    path = demo_directory(app) / "softhsm" / TOKEN_FILE
    try:
        token = SoftHSMToken(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return token if Path(token.module).is_file() and Path(token.conf).is_file() else None


def demo_agency_p12(app=None) -> Path | None:
    path = demo_directory(app) / AGENCY_P12
    return path if path.is_file() else None


def demo_personal_p12(username: str, app=None) -> Path | None:
    path = demo_directory(app) / PEOPLE_DIR / f"{username}.p12"
    return path if path.is_file() else None


# --------------------------------------------------------------------------- the demo step

def demo_signing_exists(session) -> bool:
    """The demo CA is among the trust anchors (the step's data)."""
    from app.security.certificates import TrustAnchor
    from app.security.testing_ca import TESTING_MARK

    return session.scalar(select(TrustAnchor.id).where(
        TrustAnchor.name.contains(TESTING_MARK)).limit(1)) is not None


def _anchor(session, cert, is_root: bool) -> None:
    from app.security.certificates import TrustAnchor
    from app.security.signing import certificate_facts

    facts = certificate_facts(cert.public_bytes(serialization.Encoding.DER))
    if session.scalar(select(TrustAnchor.id).where(TrustAnchor.sha256 == facts["sha256"])):
        return
    session.add(TrustAnchor(name=facts["common_name"], subject=facts["subject"],
                            issuer=facts["issuer"], sha256=facts["sha256"], der=facts["der"],
                            is_root=is_root, not_before=facts["not_before"],
                            not_after=facts["not_after"], active=True))


def _agency_key(app, ca) -> tuple[str, bool]:
    """The agency's key: kept if there is one; on a new SoftHSM2 token, else a PKCS#12 file.
    Returns (where, made now)."""
    directory = demo_directory(app)
    if demo_token(app) is not None:
        return "pkcs11", False
    if demo_agency_p12(app) is not None:
        return "pkcs12", False
    name = app.config.get("AGENCY_NAME") or "Cơ quan"
    identity = ca.issue(name, organisation=name)
    if softhsm_available():
        folder = directory / "softhsm"
        if folder.exists():  # a token left half made: start it again
            shutil.rmtree(folder)
        token = make_softhsm_token(folder, identity, token_label=DEMO_TOKEN_LABEL,
                                   pin=secrets.token_hex(6), key_label=DEMO_KEY_LABEL)
        write_private(folder / TOKEN_FILE,
                      json.dumps(asdict(token), ensure_ascii=False).encode(), ".token.")
        return "pkcs11", True
    write_private(directory / AGENCY_P12, identity.p12(), ".agency.")
    return "pkcs12", True


def _leaders(session):
    from app.org.models import EofficeUser
    from app.security import roles as r

    leader_roles = {r.AGENCY_LEADER, r.OFFICE_LEADER, r.UNIT_LEADER}
    users = session.scalars(select(EofficeUser).order_by(EofficeUser.username)).all()
    return [u for u in users if u.active and any(role.name in leader_roles for role in u.roles)]


def _personal_keys(session, app, ca) -> int:
    """A key and a confirmed certificate for each leader; returns how many were made."""
    from app.security.certificates import PersonalCertificate
    from app.security.signing import certificate_facts

    people = private_dir(demo_directory(app) / PEOPLE_DIR)
    made = 0
    for user in _leaders(session):
        path = people / f"{user.username}.p12"
        if path.is_file():
            from cryptography.hazmat.primitives.serialization import pkcs12

            _key, cert, _chain = pkcs12.load_key_and_certificates(path.read_bytes(), None)
            der = cert.public_bytes(serialization.Encoding.DER)
        else:
            identity = ca.issue(user.full_name, organisation=app.config.get("AGENCY_NAME"),
                                email=user.email or None)
            write_private(path, identity.p12(), f".{user.username}.")
            der = identity.cert_der
            made += 1
        facts = certificate_facts(der)
        if session.scalar(select(PersonalCertificate.id).where(
                PersonalCertificate.sha256 == facts["sha256"])):
            continue
        session.add(PersonalCertificate(
            user_id=user.id, subject=facts["subject"], common_name=facts["common_name"],
            issuer=facts["issuer"], serial=facts["serial"], sha256=facts["sha256"],
            der=facts["der"], not_before=facts["not_before"], not_after=facts["not_after"],
            confirmed=True, active=True))
    return made


def create_signing_demo(app):
    """The demo CA, its anchors, the agency's key and the leaders' keys (idempotent)."""
    import click

    from app.extensions import db
    from app.security.testing_ca import TestingCA

    session = db.session
    directory = private_dir(demo_directory(app))
    ca = TestingCA.load_or_make(directory)
    for path in directory.glob("*.key"):
        make_private(path)
    _anchor(session, ca.root.cert, True)
    _anchor(session, ca.intermediate.cert, False)
    kind, new_agency_key = _agency_key(app, ca)
    made = _personal_keys(session, app, ca)
    session.commit()
    if made or new_agency_key:
        where = (f"token SoftHSM2 «{DEMO_TOKEN_LABEL}»" if kind == "pkcs11"
                 else f"tệp {directory / AGENCY_P12}")
        click.echo(f"Ký số mẫu (chỉ để thử nghiệm): khóa của cơ quan trên {where}; "
                   f"{made} khóa cá nhân mới của lãnh đạo trong {directory / PEOPLE_DIR}.")
