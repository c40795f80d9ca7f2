"""A remote signing service for a test: certomancer-csc-dummy (CSC API v1, as pyHanko's
CSCSigner speaks it) started as a child process on a free local port, with a Certomancer
configuration written here whose signing identities the test chooses.

    from tests.csc_server import csc_service

    with csc_service(tmp_path, {"lanhdao": "Trần Quốc Đạt"}) as service:
        service.url                       # SIGNING_CSC_URL
        service.credential_id("lanhdao")  # "eoffice/lanhdao": the csc_credential_id
        service.cert_der("lanhdao")       # the credential's certificate, as the service gives it
        service.root_der, service.intermediate_der  # trust anchors
        service.stop()                    # the service is gone (calls are refused)

The dummy checks no authentication (any bearer token is accepted), requires the hashes to be
pinned in credentials/authorize (SCAL 2), and signs with the keys written under `directory`.
Nothing leaves 127.0.0.1."""
import base64
import datetime as dt
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ARCH = "eoffice"
ORGANISATION = "Dịch vụ ký số thử nghiệm (chỉ để thử nghiệm)"
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _time(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S+0000")


def write_config(directory: Path, people: dict[str, str]) -> Path:
    """certomancer.yml and the keys: a root, an intermediate, and one signing certificate per
    person ({label: common name})."""
    directory.mkdir(parents=True, exist_ok=True)
    keys = directory / "keys"
    keys.mkdir(exist_ok=True)
    labels = ["root", "interm", *people]
    for label in labels:
        _write_key(keys / f"{label}.key.pem")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    validity = {"valid-from": _time(now - dt.timedelta(days=1)),
                "valid-to": _time(now + dt.timedelta(days=730))}
    ca_usage = {"id": "key_usage", "critical": True,
                "smart-value": {"schema": "key-usage",
                                "params": ["digital_signature", "key_cert_sign", "crl_sign"]}}
    certs = {
        "root": {"subject": "root", "issuer": "root", "validity": validity,
                 "extensions": [{"id": "basic_constraints", "critical": True,
                                 "value": {"ca": True}}, ca_usage]},
        "interm": {"subject": "interm", "issuer": "root", "validity": validity,
                   "extensions": [{"id": "basic_constraints", "critical": True,
                                   "value": {"ca": True, "path_len_constraint": 0}},
                                  ca_usage]},
    }
    for label in people:
        certs[label] = {"subject": label, "issuer": "interm", "validity": validity,
                        "extensions": [{"id": "key_usage", "critical": True,
                                        "smart-value": {"schema": "key-usage",
                                                        "params": ["digital_signature",
                                                                   "non_repudiation"]}}]}
    entities = {"root": {"common-name": "CA dịch vụ ký số thử nghiệm"},
                "interm": {"common-name": "CA cấp dưới dịch vụ ký số thử nghiệm"}}
    entities.update({label: {"common-name": name} for label, name in people.items()})
    config = {
        "external-url-prefix": "http://127.0.0.1:9",
        "keysets": {ARCH: {"path-prefix": "keys",
                           "keys": {label: {"path": f"{label}.key.pem"} for label in labels}}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH,
            "entity-defaults": {"country-name": "VN", "organization-name": ORGANISATION},
            "entities": entities, "certs": certs}},
    }
    path = directory / "certomancer.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


class CSCService:
    def __init__(self, process, port: int, people: dict[str, str], log: Path):
        self.process = process
        self.log = log
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.people = people
        self._chains: dict[str, list[bytes]] = {}

    def credential_id(self, label: str) -> str:
        return f"{ARCH}/{label}"

    def _post(self, endpoint: str, body: dict, timeout: float = 5) -> dict:
        request = urllib.request.Request(
            f"{self.url}/csc/v1/{endpoint}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read())

    def chain(self, label: str) -> list[bytes]:
        """[the credential's certificate, its intermediate, its root] as the service gives
        them (credentials/info)."""
        if label not in self._chains:
            answer = self._post("credentials/info", {"credentialID": self.credential_id(label),
                                                     "certificates": "chain"})
            self._chains[label] = [base64.b64decode(c)
                                   for c in answer["cert"]["certificates"]]
        return self._chains[label]

    def cert_der(self, label: str) -> bytes:
        return self.chain(label)[0]

    @property
    def intermediate_der(self) -> bytes:
        return self.chain(next(iter(self.people)))[1]

    @property
    def root_der(self) -> bytes:
        return self.chain(next(iter(self.people)))[-1]

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/info", timeout=1) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.log.read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"certomancer-csc-dummy stopped at start:\n{output[-3000:]}")
            if self.answers():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"certomancer-csc-dummy did not answer within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(directory, people: dict[str, str]) -> CSCService:
    """Start the service (the caller stops it); `people`: {label: common name}, at least one."""
    assert people, "at least one signing identity"
    config = write_config(Path(directory), people)
    port = free_port()
    log = Path(directory) / "csc-dummy.log"  # a file: a full pipe would block the service
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "csc_dummy", str(config), str(port), "2"],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    service = CSCService(process, port, people, log)
    service.wait_until_up()
    return service


@contextmanager
def csc_service(directory, people: dict[str, str]):
    service = start(directory, people)
    try:
        yield service
    finally:
        service.stop()
