"""A certificate authority for trying the electronic path (ký số) without a real one: the demo
(`flask eoffice setup --demo`) and the tests make one. Every certificate it issues is named
"chỉ để thử nghiệm" (for testing only) in its organisation, so it cannot be mistaken for a
real signature; the application never trusts it unless the administrator (or the demo) adds
its root as a trust anchor.

A root, an intermediate ("CA cấp dưới") that issues the people's and the agency's
certificates; each identity comes with its private key, its certificate, the chain and a
PKCS#12 file. Made with `cryptography` only: no network, no external tool."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TESTING_MARK = "chỉ để thử nghiệm"
ROOT_NAME = "CA thử nghiệm e-office (chỉ để thử nghiệm)"
INTERMEDIATE_NAME = "CA cấp dưới thử nghiệm (chỉ để thử nghiệm)"
KEY_SIZE = 2048


def _name(common_name: str, organisation: str = TESTING_MARK, email: str | None = None):
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if email:
        parts.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(parts)


def _now():
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class Identity:
    """A key and its certificate, with the chain up to (not including) the root."""
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def p12(self, password: bytes | None = None) -> bytes:
        encryption = (serialization.BestAvailableEncryption(password) if password
                      else serialization.NoEncryption())
        return pkcs12.serialize_key_and_certificates(
            # the friendly name, cut to 64 bytes without splitting a Vietnamese letter
            self.cert.subject.rfc4514_string().encode()[:64].decode("utf-8", "ignore").encode(),
            self.key, self.cert,
            self.chain or None, encryption)


class TestingCA:
    """root → intermediate → identities. `TestingCA.load_or_make(directory)` keeps the root and
    the intermediate as PEM files, so that the demo's CA survives a restart."""
    __test__ = False  # not a pytest class

    def __init__(self, root: Identity, intermediate: Identity):
        self.root, self.intermediate = root, intermediate

    # -- making --------------------------------------------------------------------------
    @classmethod
    def make(cls, root_name: str = ROOT_NAME) -> TestingCA:
        root = cls._self_signed(root_name)
        intermediate_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        intermediate = Identity(intermediate_key, cls._certificate(
            _name(INTERMEDIATE_NAME), intermediate_key.public_key(), root,
            days=3650, ca=True), [])
        return cls(root, intermediate)

    @staticmethod
    def _self_signed(common_name: str, days: int = 7300) -> Identity:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        name = _name(common_name)
        now = _now()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return Identity(key, cert, [])

    @staticmethod
    def _certificate(subject, public_key, issuer: Identity, *, days=730, ca=False,
                     not_before=None, not_after=None, timestamping=False,
                     crl_url: str | None = None, ocsp_url: str | None = None):
        now = _now()
        start = not_before or now - dt.timedelta(days=1)
        end = not_after or now + dt.timedelta(days=days)
        builder = (x509.CertificateBuilder().subject_name(subject)
                   .issuer_name(issuer.cert.subject).public_key(public_key)
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None),
                                  critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       issuer.key.public_key()), critical=False))
        if crl_url:  # where the revocation list is published (CRL distribution point)
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None,
                reasons=None, crl_issuer=None)]), critical=False)
        if ocsp_url:
            builder = builder.add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier(ocsp_url))]),
                critical=False)
        if ca:
            usage = dict(digital_signature=True, content_commitment=False,
                         key_cert_sign=True, crl_sign=True)
        elif timestamping:
            usage = dict(digital_signature=True, content_commitment=False,
                         key_cert_sign=False, crl_sign=False)
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        else:
            usage = dict(digital_signature=True, content_commitment=True,
                         key_cert_sign=False, crl_sign=False)
        builder = builder.add_extension(x509.KeyUsage(
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False, **usage), critical=True)
        return builder.sign(issuer.key, hashes.SHA256())

    def issue(self, common_name: str, *, organisation: str | None = None,
              email: str | None = None, days: int = 730, not_before=None, not_after=None,
              timestamping: bool = False, crl_url: str | None = None,
              ocsp_url: str | None = None) -> Identity:
        """A signing certificate for a person or an agency (organisation: the agency's name,
        followed by the testing mark). `timestamping`: a time-stamping authority's certificate
        (extended key usage timeStamping); `crl_url` / `ocsp_url`: the certificate declares
        where its revocation status is published (see `crl`)."""
        org = f"{organisation} ({TESTING_MARK})" if organisation else TESTING_MARK
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        cert = self._certificate(_name(common_name, org, email), key.public_key(),
                                 self.intermediate, days=days, not_before=not_before,
                                 not_after=not_after, timestamping=timestamping,
                                 crl_url=crl_url, ocsp_url=ocsp_url)
        return Identity(key, cert, [self.intermediate.cert])

    def expired(self, common_name: str, **kwargs) -> Identity:
        """A certificate that expired yesterday (valid for the year before)."""
        now = _now()
        return self.issue(common_name, not_before=now - dt.timedelta(days=365),
                          not_after=now - dt.timedelta(days=1), **kwargs)

    def crl(self, revoked=(), *, revoked_at=None, days: int = 7) -> bytes:
        """A revocation list (DER) signed by the intermediate, listing `revoked` (identities or
        certificates), revoked at `revoked_at` (default: an hour ago); valid from an hour ago
        for `days` days."""
        now = _now()
        when = revoked_at or now - dt.timedelta(hours=1)
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(self.intermediate.cert.subject)
                   .last_update(now - dt.timedelta(hours=1))
                   .next_update(now + dt.timedelta(days=days))
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.intermediate.key.public_key()), critical=False)
                   .add_extension(x509.CRLNumber(1), critical=False))
        for item in revoked:
            cert = item.cert if isinstance(item, Identity) else item
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                .revocation_date(when).build())
        crl = builder.sign(self.intermediate.key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER)

    # -- keeping ---------------------------------------------------------------------------
    @property
    def root_der(self) -> bytes:
        return self.root.cert_der

    @property
    def intermediate_der(self) -> bytes:
        return self.intermediate.cert_der

    def save(self, directory) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for label, identity in (("root", self.root), ("intermediate", self.intermediate)):
            (directory / f"{label}.crt").write_bytes(identity.cert_pem)
            key_file = directory / f"{label}.key"
            key_file.write_bytes(identity.key_pem)
            key_file.chmod(0o600)

    @classmethod
    def load(cls, directory) -> TestingCA:
        directory = Path(directory)
        identities = []
        for label in ("root", "intermediate"):
            cert = x509.load_pem_x509_certificate((directory / f"{label}.crt").read_bytes())
            key = serialization.load_pem_private_key((directory / f"{label}.key").read_bytes(),
                                                     password=None)
            identities.append(Identity(key, cert, []))
        return cls(*identities)

    @classmethod
    def load_or_make(cls, directory) -> TestingCA:
        directory = Path(directory)
        if (directory / "root.crt").is_file() and (directory / "intermediate.key").is_file():
            return cls.load(directory)
        ca = cls.make()
        ca.save(directory)
        return ca
