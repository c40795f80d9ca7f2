"""OCR benchmark (`make bench-ocr`): the letters of tests/data/ocr (generated, with their truth)
read by app.core.ocr and app.core.recognize; prints the accuracy of each field and the time
per page. Goals (issue 21): number/symbol and date >= 95 % exact, agency >= 90 %, excerpt
>= 85 % character accuracy, <= 3 s per page.

    python -m bench.ocr_bench [--letters N] [--dpi 300] [--json FILE]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.catalogs import seed_data  # noqa: E402
from app.core import ocr, recognize  # noqa: E402
from app.core.pdf import image_to_pdf  # noqa: E402
from app.core.text import fold  # noqa: E402
from tests.data.ocr import make_corpus  # noqa: E402

CACHE = ROOT / "bench" / "data" / "ocr-corpus"
GOALS = {"number_symbol": 95, "document_date": 95, "agency": 90, "excerpt": 85}


def catalogs():
    """The seed catalogs, numbered as a fresh database numbers them."""
    agencies = [(i, name, short) for i, (name, short, *_rest) in
                enumerate(seed_data.AGENCIES, start=1)]
    types = [(i, name, abbr) for i, (name, abbr, _kind) in
             enumerate(seed_data.DOCUMENT_TYPES, start=1)]
    return agencies, types


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(read: str, truth: str) -> float:
    if not truth:
        return 1.0 if not read else 0.0
    return max(0.0, 1 - levenshtein(read or "", truth) / len(truth))


def score(letter: dict, found: dict, agencies, types) -> dict:
    def value(key):
        proposal = found.get(key)
        return proposal.value if proposal else None

    agency_ids = {name: i for i, name, _ in agencies}
    type_ids = {name: i for i, name, _ in types}
    if letter["agency"]:
        agency_ok = value("agency_id") == agency_ids[letter["agency"]]
    else:
        agency_ok = value("agency_id") is None and \
            fold(value("agency_name") or "") == fold(letter["agency_read"])
    return {
        "number_symbol": value("number_symbol") == letter["number_symbol"],
        "document_date": value("document_date") == date.fromisoformat(letter["document_date"]),
        "agency": agency_ok,
        "type": value("type_id") == type_ids[letter["type"]],
        "excerpt": char_accuracy(value("excerpt") or "", letter["excerpt"]),
        "signer_name": value("signer_name") == letter["signer_name"],
        "signer_position": fold(value("signer_position") or "") ==
        fold(letter["signer_position"]),
        "marks": (value("urgency"), value("secrecy")) == (letter["urgency"], letter["secrecy"]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=make_corpus.LETTERS)
    parser.add_argument("--dpi", type=int, default=ocr.DEFAULT_DPI)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--verbose", "-v", action="store_true", help="show every miss")
    args = parser.parse_args(argv)
    if not ocr.available():
        print(ocr.why_unavailable())
        return 1
    agencies, types = catalogs()
    truth = {t["id"]: t for t in json.loads(make_corpus.TRUTH.read_text("utf-8"))}
    made = make_corpus.build(CACHE, args.letters)
    rows, seconds, cpu, pages = [], [], [], 0
    started = time.monotonic()
    for number, made_letter in enumerate(made):
        letter = dict(made_letter, **truth[made_letter["id"]])  # the committed truth
        data = letter["image_path"].read_bytes()
        content_type = letter["content_type"]
        if number % 3 == 2:  # a third arrive as scanned PDFs
            data, content_type = image_to_pdf(data), "application/pdf"
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = ocr.ocr_file(data, content_type, dpi=args.dpi)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        pages += result.pages
        seconds.append(result.seconds / result.pages)
        cpu.append((cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime
                    - cpu_before.ru_stime) / result.pages)
        found = recognize.propose(result.text, agencies=agencies, types=types)
        row = score(letter, found, agencies, types)
        rows.append(row)
        misses = [k for k, v in row.items() if v is not True and not
                  (isinstance(v, float) and v >= 0.999)]
        kind = "pdf" if content_type == "application/pdf" else content_type.split("/")[1]
        render = letter["render"]
        print(f"{letter['id']} {kind:4} {render['dpi']}dpi rot {render['rotate']:+.1f}"
              f"{' 90°' if render['quarter_turn'] else ''}{' noise' if render['noise'] else ''}"
              f"{' stamp' if render['stamp'] else ''}: {result.seconds:.2f} s"
              f"{'  misses: ' + ', '.join(misses) if misses else ''}")
        if args.verbose and misses:
            for key in misses:
                print(f"    {key}: read {_shown(found, key)!r}, truth {_truth(letter, key)!r}")
    total = time.monotonic() - started
    figures = {key: 100 * statistics.mean(float(r[key]) for r in rows) for key in rows[0]}
    figures["seconds_per_page"] = statistics.mean(seconds)
    figures["seconds_per_page_max"] = max(seconds)
    figures["cpu_seconds_per_page"] = statistics.mean(cpu)
    figures["load_average"] = os.getloadavg()[0]
    print(f"\n{len(rows)} letters, {pages} pages, {total:.0f} s in all "
          f"(Tesseract {_version()}, dpi {args.dpi}, OMP_THREAD_LIMIT=1)")
    labels = {"number_symbol": "Số, ký hiệu (exact)", "document_date": "Ngày văn bản (exact)",
              "agency": "Cơ quan ban hành", "type": "Loại văn bản",
              "excerpt": "Trích yếu (character accuracy)", "signer_name": "Người ký",
              "signer_position": "Chức vụ người ký", "marks": "Độ khẩn, độ mật"}
    for key, label in labels.items():
        goal = GOALS.get(key)
        verdict = "" if goal is None else ("  ok" if figures[key] >= goal else f"  < {goal} %")
        print(f"  {label:34} {figures[key]:6.1f} %{verdict}")
    verdict = "ok" if figures["seconds_per_page"] <= 3 else "> 3 s"
    print(f"  {'Seconds per page (mean / max)':34} {figures['seconds_per_page']:6.2f} / "
          f"{figures['seconds_per_page_max']:.2f}  {verdict}")
    print(f"  {'CPU seconds per page (programs)':34} {figures['cpu_seconds_per_page']:6.2f}"
          f"   (load average {figures['load_average']:.1f} on {os.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


def _shown(found, key):
    if key == "agency":
        return (found.get("agency_id") or found.get("agency_name") or
                recognize.Proposal(None, "", 0)).value
    if key == "type":
        key = "type_id"
    if key == "marks":
        return tuple(found[k].value if k in found else None for k in ("urgency", "secrecy"))
    return found[key].value if key in found else None


def _truth(letter, key):
    if key == "marks":
        return (letter["urgency"], letter["secrecy"])
    return letter.get(key)


def _version() -> str:
    import subprocess
    out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout
    return (out.split() or ["?", "?"])[1]


if __name__ == "__main__":
    sys.exit(main())
