"""What an ingest reads (ingest/walk.py): a file name that is not UTF-8 is stored escaped and
the batch goes on; links never lead out of the given folders; every entry of a folder walk is
counted, ingested, unchanged or skipped with its reason, in the summary and the ingest log."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.seeds import seed_path

from api.cli import main
from index.datadir import DataDir
from ingest.pipeline import ingest_one, ingest_paths
from ingest.readers import Limits
from ingest.walk import collect_files
from search.hybrid import Searcher

IN_PROCESS = Limits(max_seconds=None)
SECRET = "Hemligordet lösenordsfil kvarstår"


def latin1_name(directory: Path) -> Path:
    """A file whose name is Latin-1 bytes (`protokoll_n\\xe4mnd.txt`), as an old file server
    writes it: not valid UTF-8."""
    path = Path(os.fsdecode(os.fsencode(directory) + b"/protokoll_n\xe4mnd.txt"))
    shutil.copy(seed_path("001"), path)
    return path


def test_a_name_that_is_not_utf8_is_stored_escaped_and_the_batch_goes_on(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path("000"), folder / "a.txt")
    latin1_name(folder)
    shutil.copy(seed_path("002"), folder / "z.txt")
    target = tmp_path / "data"
    code = main(["ingest", str(folder), "--no-embed", "--quiet", "--data-dir", str(target)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 new, 0 replaced, 0 unchanged, 0 skipped" in out
    escaped = f"{folder}/protokoll_n\\xe4mnd.txt"
    assert f"note {escaped}: file name is not valid UTF-8; stored as {escaped}" in out
    data = DataDir(target)
    try:
        sources = {r[0] for r in data.store.query("SELECT source FROM documents")}
        assert sources == {str(folder / "a.txt"), escaped, str(folder / "z.txt")}
        assert data.store.scalar("SELECT filename FROM documents WHERE source = ?", [escaped]) == (
            "protokoll_n\\xe4mnd.txt"
        )
    finally:
        data.close()
    # Again: unchanged, under the same escaped source.
    code = main(["ingest", str(folder), "--no-embed", "--quiet", "--data-dir", str(target)])
    assert "0 new, 0 replaced, 3 unchanged, 0 skipped" in capsys.readouterr().out


@pytest.fixture
def walked(tmp_path):
    """A folder with one good file and every kind of entry a walk must account for."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"Kommunstyrelsen\n\n{SECRET}\n" * 5, encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path("000"), folder / "protokoll.txt")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "secret.txt").symlink_to(outside / "secret.txt")
    (folder / "relative.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (folder / "alias.txt").symlink_to("protokoll.txt")  # inside: read, same content
    (folder / "loop.txt").symlink_to("loop2.txt")
    (folder / "loop2.txt").symlink_to("loop.txt")
    (folder / "dangling.txt").symlink_to("gone.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "upward").symlink_to(tmp_path)  # a directory link: not followed
    (folder / "map.txt").mkdir()
    shutil.copy(seed_path("002"), folder / "map.txt" / "inner.txt")
    (folder / "brev.rtf").write_text("{\\rtf1 Hej}")
    (folder / ".hidden.txt").write_text("dold")
    return tmp_path, folder


EXPECTED = {
    "alias.txt": ("ingested", None),  # walked first (sorted); stored under its own path
    "protokoll.txt": ("unchanged", "same content as"),
    "passwd.txt": ("skipped", "symbolic link to a file outside the given folders"),
    "secret.txt": ("skipped", "symbolic link to a file outside the given folders"),
    "relative.txt": ("skipped", "symbolic link to a file outside the given folders"),
    "loop.txt": ("skipped", "symbolic link loop"),
    "loop2.txt": ("skipped", "symbolic link loop"),
    "dangling.txt": ("skipped", "dangling symbolic link"),
    "pipe.txt": ("skipped", "not a regular file (a FIFO)"),
    "zero.txt": ("skipped", "not a regular file (link to a character device)"),
    "upward": ("skipped", "symbolic link to a directory (not followed)"),
    "map.txt": ("skipped", "a directory, not a file"),
    "map.txt/inner.txt": ("ingested", None),
    "brev.rtf": ("skipped", "unsupported file type .rtf"),
    ".hidden.txt": ("skipped", "hidden file (not read)"),
}


def test_every_entry_of_a_walk_is_counted_and_nothing_outside_is_read(walked):
    root, folder = walked
    data = DataDir(root / "data")
    try:
        summary = ingest_paths(data, [folder], limits=IN_PROCESS, progress=False)
        by_name = {
            str(Path(r.source).relative_to(folder)): (r.status, r.reason) for r in summary.results
        }
        assert sorted(by_name) == sorted(EXPECTED)
        for name, (status, reason) in EXPECTED.items():
            assert by_name[name][0] == status, (name, by_name[name])
            if reason:
                assert reason in by_name[name][1], (name, by_name[name])
        assert summary.totals()["files"] == len(EXPECTED)
        # The ingest log has the same account, entry by entry.
        logged = dict(data.store.query("SELECT source, status FROM ingest_log"))
        assert {str(Path(s).relative_to(folder)): st for s, st in logged.items()} == {
            name: status for name, (status, _) in EXPECTED.items()
        }
        # Nothing from outside is stored or found; the stored source is the link as given.
        sources = {r[0] for r in data.store.query("SELECT source FROM documents")}
        assert sources == {str(folder / "alias.txt"), str(folder / "map.txt" / "inner.txt")}
        found = Searcher(data).search("Hemligordet lösenordsfil root", mode="bm25").results
        assert found == []
    finally:
        data.close()


def test_a_link_inside_is_stored_under_its_own_path(tmp_path):
    folder = tmp_path / "in"
    (folder / "real").mkdir(parents=True)
    shutil.copy(seed_path("000"), folder / "real" / "p.txt")
    (folder / "link.txt").symlink_to(Path("real") / "p.txt")
    entries = collect_files([folder / "link.txt"])
    assert [(e.source, e.target, e.skip) for e in entries] == [
        (str(folder / "link.txt"), folder / "real" / "p.txt", None)
    ]
    data = DataDir(tmp_path / "data")
    try:
        (result,) = ingest_paths(
            data, [folder / "link.txt"], limits=IN_PROCESS, progress=False
        ).results
        assert (result.status, result.source) == ("ingested", str(folder / "link.txt"))
    finally:
        data.close()


def test_a_link_named_directly_does_not_lead_out_of_its_folder(walked, capsys):
    root, folder = walked
    code = main(
        [
            "ingest",
            str(folder / "passwd.txt"),
            str(folder / "secret.txt"),
            "--no-embed",
            "--quiet",
            "--data-dir",
            str(root / "data"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    for name in ("passwd.txt", "secret.txt"):
        assert f"skipped {folder / name}: symbolic link to a file outside" in out


def test_a_file_swapped_for_a_link_after_the_walk_is_not_read(walked):
    root, folder = walked
    (entry,) = collect_files([folder / "protokoll.txt"])
    (folder / "protokoll.txt").unlink()
    (folder / "protokoll.txt").symlink_to("/etc/passwd")
    data = DataDir(root / "data")
    try:
        (result,) = ingest_paths(
            data, [folder / "protokoll.txt"], limits=IN_PROCESS, progress=False
        ).results
        assert result.status == "skipped"
        result = ingest_one(data, entry, None, IN_PROCESS)
        assert (result.status, result.reason) == (
            "skipped",
            "not a regular file (a symbolic link)",
        )
    finally:
        data.close()


def test_entries_passed_over_by_a_walk_fail_nothing(tmp_path, capsys):
    """`make run` ingests corpus/ with its manifest.csv beside the documents, again and again."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(seed_path("000"), folder / "p.txt")
    (folder / "manifest.csv").write_text("file,kommun\n")
    args = ["ingest", str(folder), "--no-embed", "--quiet", "--data-dir", str(tmp_path / "d")]
    assert main(args) == 0
    assert main(args) == 0  # unchanged, and the .csv listed as skipped
    out = capsys.readouterr().out
    assert f"skipped {folder / 'manifest.csv'}: unsupported file type .csv" in out
    assert "0 new, 0 replaced, 1 unchanged, 1 skipped" in out
    # Named directly, an unsupported file is a failure.
    assert main(["ingest", str(folder / "manifest.csv"), "--data-dir", str(tmp_path / "d")]) == 1
