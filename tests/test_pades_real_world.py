"""Signed PDFs made by other software (Adobe Reader, other signers, deliberately anomalous
files from pyHanko's own test data: tests/data/pdf/signed/SOURCES.md) are read the way their
makers' tests expect — and none of them is ever called "Hợp lệ": their CA is not ours."""
from pathlib import Path

import pytest

from app.core import pades
from app.core.errors import DomainError

SIGNED = Path(__file__).parent / "data" / "pdf" / "signed"


def check(name):
    return pades.verify_pdf((SIGNED / name).read_bytes(), [])


@pytest.mark.parametrize("name", ["minimal-two-fields-signed-twice.pdf",
                                  "minimal-signed-twice-second-created.pdf",
                                  "minimal-signed-twice-both-created.pdf"])
def test_adobe_readers_two_signatures_are_both_found_intact(name):
    report = check(name)
    assert len(report.signatures) == 2
    assert all(s.intact for s in report.signatures)
    assert report.state != pades.VALID  # a CA we were not told to trust
    assert report.reasons()  # and the page says why, in Vietnamese


@pytest.mark.parametrize("name", ["sig-no-signed-attrs.pdf", "sig-with-ski-sid.pdf",
                                  "pades-with-old-style-signing-cert-attr.pdf",
                                  "certified-with-indirect-refs-in-dir.pdf"])
def test_unusual_but_correct_signatures_are_intact_and_not_trusted(name):
    report = check(name)
    assert len(report.signatures) == 1
    signature = report.signatures[0]
    assert signature.intact and signature.covers_whole
    assert report.state == pades.UNKNOWN
    assert "untrusted" in [r["code"] for r in signature.reasons]


@pytest.mark.parametrize("name", ["coverage-anomalies-tail-uncovered.pdf",
                                  "coverage-anomalies-signature-gap-too-big.pdf",
                                  "coverage-anomalies-one-byterange.pdf",
                                  "coverage-anomalies-weird-byterange.pdf"])
def test_a_signature_that_leaves_part_of_the_file_out_is_invalid(name):
    report = check(name)
    signature = report.signatures[0]
    assert report.state == pades.INVALID
    assert not signature.covers_whole
    assert "not_covering" in [r["code"] for r in signature.reasons]


def test_a_signature_whose_contents_cannot_be_read_is_invalid_not_an_error():
    report = check("coverage-anomalies-base.pdf")
    assert report.state == pades.INVALID and not report.signatures[0].intact


def test_a_detached_signature_carrying_its_own_content_is_invalid():
    assert check("pdf-sig-with-econtent.pdf").state == pades.INVALID


def test_a_long_term_signature_with_its_validation_data_is_read():
    report = check("pades-lta-dss-indirect-arrs-test.pdf")
    assert report.signatures and report.signatures[0].intact
    assert report.state != pades.VALID


def test_a_signed_file_encrypted_for_someone_else_gets_the_encrypted_message():
    with pytest.raises(DomainError, match="mã hóa"):
        check("signed-encrypted-pubkey-with-catalog-ref.pdf")
