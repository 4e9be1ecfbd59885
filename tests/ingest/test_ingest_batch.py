"""One batch of good seeds mixed with every kind of bad and adversarial file, through
`ingest_paths` and the real parse worker process (ingest/worker.py): every file ends ingested
or skipped with a clear reason, the good ones are searchable, a file over the time limit is
skipped as timed out and the next file still goes through a fresh worker, and the store and
the BM25 index hold the same chunks."""

from __future__ import annotations

import os
import shutil

import pytest
from support import docgen
from support.pdf import pdf_pages
from support.seeds import seed_path

from index.datadir import DataDir
from ingest.pipeline import collect_files, ingest_paths
from ingest.readers import Limits
from ingest.worker import shared_worker
from search.hybrid import Searcher

# Small enough that the bombs stay cheap to build; every real document fits.
LIMITS = Limits(max_pages=1_000, max_unzipped_bytes=16_000_000, max_seconds=120.0)

# File name -> what its result must say: "ingested", or a part of the skip reason.
EXPECTED = {
    "000.txt": "ingested",
    "002.txt": "ingested",
    "001.docx": "ingested",
    "nested.html": "ingested",
    "paragraphs.txt": "ingested",
    "garbage.pdf": "not a PDF",
    "garbage.docx": "not a DOCX",
    "garbage.txt": "binary data",
    "truncated.pdf": "truncated PDF",
    "encrypted.pdf": "encrypted PDF",
    "scanned.pdf": "ingested",
    "blank.pdf": "no text layer",
    "pages.pdf": "too many pages (1500 > 1000)",
    "bomb.docx": "DOCX expands to",
    "empty.txt": "empty file",
    "only-markup.md": "no text found",
    "pipe.txt": "not a regular file",
    "zero.txt": "not a regular file",
    "missing.pdf": "cannot read file",
    "program.exe": "unsupported file type .exe",
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    source = tmp_path_factory.mktemp("batch")
    shutil.copy(seed_path("000"), source / "000.txt")
    shutil.copy(seed_path("002"), source / "002.txt")
    docgen.write_docx(seed_path("001").read_text(encoding="utf-8"), source / "001.docx")
    (source / "nested.html").write_text(
        "<div>" * 10_000 + "Socialnämnden beslutar om nästlade taggar" + "</div>" * 10_000
    )
    # 10^5 § is in test_fuzz.py (prepare only): at the store step, 2000 identical chunks
    # cost a quadratic search for duplicates (index/store.py band_candidates).
    (source / "paragraphs.txt").write_text("§ 1 paragrafmarkör " * 20_000)
    docgen.write_binary_garbage(source / "garbage.pdf", seed=1)
    docgen.write_binary_garbage(source / "garbage.docx", seed=2)
    docgen.write_binary_garbage(source / "garbage.txt", seed=3)
    docgen.write_truncated_pdf(source / "truncated.pdf")
    docgen.write_encrypted_pdf(source / "encrypted.pdf", aes256=False)
    docgen.write_image_only_pdf(source / "scanned.pdf")
    (source / "blank.pdf").write_bytes(pdf_pages(2, None))
    (source / "pages.pdf").write_bytes(pdf_pages(1_500, None))
    docgen.write_zip_bomb_docx(source / "bomb.docx", uncompressed_mb=64)
    (source / "empty.txt").write_bytes(b"")
    (source / "only-markup.md").write_text("**\n##\n" * 1000)
    # Not found by a directory scan (not regular files): named on the command line.
    os.mkfifo(source / "pipe.txt")
    (source / "zero.txt").symlink_to("/dev/zero")
    named = [source / "pipe.txt", source / "zero.txt", source / "missing.pdf"]
    (source / "program.exe").write_bytes(b"MZ\x90\x00")
    named.append(source / "program.exe")

    data = DataDir(tmp_path_factory.mktemp("batch-data"))
    paths = [source, *named]
    summary = ingest_paths(data, paths, limits=LIMITS, progress=False)
    names = [entry.path.name for entry in collect_files(paths)]
    yield data, summary, dict(zip(names, summary.results, strict=True))
    data.close()


def test_every_file_ends_ingested_or_skipped_with_its_reason(batch):
    _, _, by_name = batch
    assert sorted(by_name) == sorted(EXPECTED)
    for name, expected in EXPECTED.items():
        result = by_name[name]
        if expected == "ingested":
            assert result.status == "ingested", (name, result.reason)
            assert result.chunks > 0
        else:
            assert result.status == "skipped", name
            assert expected in (result.reason or ""), (name, result.reason)


def test_the_good_files_are_searchable(batch):
    data, _, by_name = batch
    reader = DataDir(data.path, readonly=True)
    try:
        searcher = Searcher(reader)
        for name, query in [
            ("000.txt", "socialnämnden"),
            ("002.txt", "Farsta"),
            ("001.docx", "vräkning"),
            ("nested.html", "nästlade taggar"),
            ("paragraphs.txt", "paragrafmarkör"),
        ]:
            found = searcher.search(query, limit=50, mode="bm25").results
            assert by_name[name].document_id in {r["document_id"] for r in found}, name
    finally:
        reader.close()


def test_a_file_over_the_time_limit_is_skipped_and_the_batch_goes_on(batch, tmp_path):
    data, _, _ = batch
    slow = tmp_path / "slow.txt"
    # ~15 s to parse on one core (linear in its size), far over the limit below.
    slow.write_bytes(b"Socialn\xc3\xa4mnden beslutar att " * 180_000)
    good = tmp_path / "004.txt"
    shutil.copy(seed_path("004"), good)
    worker = shared_worker()
    first_worker, restarts = worker.pid, worker.restarts
    summary = ingest_paths(data, [slow], limits=Limits(max_seconds=0.5), progress=False)
    (result,) = summary.results
    assert (result.status, result.reason) == ("skipped", "timed out after 0.5 s")
    # The timed-out worker was killed; the next file is parsed by a new one.
    summary = ingest_paths(data, [good], limits=LIMITS, progress=False)
    assert summary.results[0].status in ("ingested", "unchanged"), summary.results[0].reason
    assert worker.pid is not None and worker.pid != first_worker
    assert worker.restarts == restarts + 1
    log = data.store.query(
        "SELECT status, reason FROM ingest_log WHERE source = ? ORDER BY id", [str(slow.resolve())]
    )
    assert [tuple(row) for row in log] == [("skipped", "timed out after 0.5 s")]


def test_store_and_bm25_index_hold_the_same_chunks(batch):
    data, summary, _ = batch
    stored = {row[0] for row in data.store.query("SELECT id FROM chunks")}
    assert stored == data.bm25.all_ids()
    assert (
        data.store.scalar(
            "SELECT count(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)"
        )
        == 0
    )
    documents = {row[0] for row in data.store.query("SELECT id FROM documents")}
    ingested = {r.document_id for r in summary.results if r.status == "ingested"}
    assert ingested <= documents
    per_document = dict(
        data.store.query("SELECT document_id, count(*) FROM chunks GROUP BY document_id")
    )
    for result in summary.results:
        if result.status == "ingested":
            assert per_document[result.document_id] == result.chunks
