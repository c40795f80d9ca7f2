# The two commands: `make run` and `make test`. Both install what they need into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app run.py
PORT ?= 8080
HOST ?= 0.0.0.0
WORKERS ?= 2
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)

.PHONY: run test install install-test translations browser office lint clean bench bench-load \
	ocr bench-ocr bench-walk bench-first-look bench-register bench-browser

# The demo agency's electronic ID (liên thông demo and worker), unless one is given.
run: export EXCHANGE_ORGAN_ID ?= 000.00.04.H30
# The demo leaders sign with the demo CA's keys ("chỉ để thử nghiệm").
run: export SIGNING_DEMO_PERSONAL_KEYS ?= 1
run: install translations poppler signing ocr
	$(FLASK) eoffice setup --demo
	$(VENV)/bin/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - run:app

# Three processes (pytest-xdist), one database each; a test file stays in one process. Three on
# two cores: the browser journeys wait on the browser, and a third process fills those waits
# (12:38 instead of 13:54 for the SQLite pass here; docs/performance.md).
PYTEST_ARGS ?= -n 3 --dist loadfile
test: install-test translations browser office poppler signing ocr
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# Compiled catalogs are build products (.mo is ignored by git).
translations: install $(CATALOGS:.po=.mo)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@

# Browser tests drive Debian's Chromium, never a downloaded browser.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install -y chromium (browser tests will be skipped)"; fi; }

# The .xlsx exports are opened by Debian's LibreOffice Calc (tests/test_exports.py).
office:
	@command -v soffice >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; \
	  else echo "LibreOffice is missing: sudo apt-get install -y libreoffice-calc-nogui (its checks of the .xlsx exports will be skipped)"; fi; }

# The arrival stamp ("ĐẾN") looks for a blank space on a picture of the first page and shows
# the clerk that picture: both made by poppler's pdftoppm (Debian's poppler-utils). Without
# it the stamp reads the text layer and the page's images only, and the preview has no picture.
.PHONY: poppler signing
# Ký số: the agency's key on a PKCS#11 token (Debian's SoftHSM2 in tests and the demo; a real
# token or HSM in production) and Liberation Serif, metric-compatible with Times New Roman, for
# the agency signature's appearance (Decree 30, Appendix I). Without SoftHSM2 the demo keeps the
# agency key in a PKCS#12 file and the token tests are skipped.
signing:
	@{ command -v softhsm2-util >/dev/null && test -f /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 fonts-liberation2 >/dev/null; \
	  else echo "softhsm2 or fonts-liberation2 is missing: sudo apt-get install -y softhsm2 fonts-liberation2 (the agency key stays in a PKCS#12 file; token tests are skipped)"; fi; }

poppler:
	@command -v pdftoppm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else echo "pdftoppm is missing: sudo apt-get install -y poppler-utils (the arrival stamp's preview shows no page)"; fi; }

# Scanned letters are read by Tesseract's Vietnamese model (Debian's tesseract-ocr and
# tesseract-ocr-vie; -osd turns pages scanned the wrong way round): their text goes into search
# and the registration form is prefilled (app/core/ocr.py, app/core/recognize.py). Without them
# the application works and says OCR is off; the OCR tests are skipped.
ocr:
	@{ command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx vie; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd >/dev/null; \
	  else echo "Tesseract is missing: sudo apt-get install -y tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd (OCR of scans is off; its tests are skipped)"; fi; }

# Benchmarks (bench/): DOCS documents (generated once under bench/data/), our views against
# stock Flask-AppBuilder; DATABASE_URL picks PostgreSQL. SQLAlchemy's compiled extensions are
# off here: stock FAB's chart (tens of thousands of ORM objects) crashed them (segfault in GC).
DOCS ?= 1000000
BENCH_DB = $(if $(DATABASE_URL),--database $(DATABASE_URL))
bench: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	DISABLE_SQLALCHEMY_CEXT_RUNTIME=1 $(PY) -m bench.run --docs $(DOCS) $(BENCH_DB)

bench-load: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) -m bench.load --docs $(DOCS) $(BENCH_DB)

# OCR accuracy and time per page on the generated letters of tests/data/ocr (issue 21).
# Every GET page for each of the six roles on the same data (bench/walk.py); fails on a page
# over its budget. SQLAlchemy's compiled extensions on, as in production (only bench.run turns
# them off, for stock FAB's sake).
bench-walk: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) -m bench.walk --docs $(DOCS) $(BENCH_DB)

bench-ocr: install poppler ocr
	$(PY) -m bench.ocr_bench

# The leaders' dashboard at its first look after each kind of change (bench/first_look.py).
bench-first-look: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) -m bench.first_look --docs $(DOCS) $(BENCH_DB)

# A registration through the REST API with a token, its median and statements (bench/register.py).
bench-register: install
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) -m bench.register --docs $(DOCS) $(BENCH_DB)

# The daily pages of each role in Debian's Chromium: load time, files over the network
# (bench/browser.py).
bench-browser: install-test browser
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) -m bench.browser --docs $(DOCS) $(BENCH_DB)

lint: install-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache test-output
