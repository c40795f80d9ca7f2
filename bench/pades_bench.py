"""How long verifying a signed PDF takes (target: a 2-signature, 20-page PDF in ≤ 300 ms,
no network). Run: `.venv/bin/python -m bench.pades_bench` from the project's directory."""
import statistics
import time

from pyhanko.sign import signers

from app.core import pades
from app.core.pdf import make_demo_pdf
from app.security.testing_ca import TestingCA

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def main(rounds: int = 10) -> None:
    ca = TestingCA.make()
    person, agency = ca.issue("Nguyễn Văn A"), ca.issue("Sở Nội vụ tỉnh Hà Nam")
    draft = make_demo_pdf("Văn bản thử", [f"Dòng thứ {i} của văn bản thử nghiệm."
                                          for i in range(40)], font_path=FONT, pages=20)

    def simple(identity):
        return signers.SimpleSigner.load_pkcs12_data(identity.p12(), other_certs=[],
                                                     passphrase=None)

    started = time.perf_counter()
    prepared = pades.prepare_for_signing(draft)
    once = pades.sign(prepared, simple(person), field_name="nguoi_ky",
                      appearance=pades.Appearance(["Nguyễn Văn A", "Giám đốc"]))
    twice = pades.sign(once, simple(agency), field_name="co_quan",
                       appearance=pades.Appearance(["Sở Nội vụ tỉnh Hà Nam"], kind="agency"),
                       fill={pades.NUMBER_FIELD: "1/QĐ", pades.DATE_FIELD: "03/12/2026"})
    print(f"prepare + 2 signatures: {(time.perf_counter() - started) * 1000:.0f} ms, "
          f"{len(twice) // 1024} KiB")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        report = pades.verify_pdf(twice, [ca.root_der])
        times.append((time.perf_counter() - started) * 1000)
    assert report.state == pades.VALID, report.to_json()
    print(f"verify (2 signatures, 20 pages): median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms over {rounds}")


if __name__ == "__main__":
    main()
