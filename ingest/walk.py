"""Which files an ingest reads: the folders and files it was given, and nothing outside them.

`collect_files` turns the paths named on the command line into one `Entry` per file system
entry met: a regular document file to read, or an entry skipped with its reason. Nothing is
dropped without a word: symbolic link loops, dangling links, links that lead outside the given
folders (a `passwd.txt -> /etc/passwd` planted in a folder), FIFOs, sockets and devices (a read
would block or never end), directories named like documents and unsupported files each get an
entry, so the summary and the ingest log account for every entry of a walk.

A link is followed only to a regular file inside a given folder (for a file named directly:
inside its own folder); a link to a directory is not followed (the walk would loop or leave
the folder). The stored source is the path as given, made absolute without resolving links,
so that the store names the link a user sees and not the file it points to.

File names are bytes on POSIX. A name that is not valid UTF-8 (Latin-1 `protokoll_n\\xe4mnd.txt`
from an old file server) cannot be stored as text as it is: its source is written with the
undecodable bytes as `\\xNN` escapes, the file is read under its real name, and the entry says
so in a note.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .readers import SUPPORTED_SUFFIXES

__all__ = ["Entry", "collect_files", "display_path"]


@dataclass(frozen=True)
class Entry:
    path: Path  # absolute, as given (links not resolved)
    source: str  # what the store and the log call it: `display_path(path)`
    target: Path | None = None  # the regular file to read; None when skipped
    skip: str | None = None  # why it is not read
    note: str | None = None  # something the user should know about a file that is read
    named: bool = False  # named on the command line (not met in a folder walk)


def display_path(path: Path | str) -> str:
    """`path` as valid UTF-8 text: bytes that are not UTF-8 become `\\xNN` escapes."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _entry(path: Path, roots: list[Path], in_walk: bool) -> Entry:
    """The entry for one path that is not a directory to walk."""
    source = display_path(path)
    note = None
    if source != os.fsdecode(path):
        note = f"file name is not valid UTF-8; stored as {source}"
    try:
        own = path.lstat()
    except OSError as error:
        return Entry(path, source, skip=f"cannot read file: {error.strerror}")
    target = path
    if stat.S_ISLNK(own.st_mode):
        try:
            target = Path(os.path.realpath(path, strict=True))
        except OSError as error:
            if error.errno == errno.ELOOP:
                return Entry(path, source, skip="symbolic link loop")
            return Entry(path, source, skip="dangling symbolic link (its target does not exist)")
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            return Entry(path, source, skip="symbolic link to a directory (not followed)")
        if not stat.S_ISREG(mode):
            return Entry(path, source, skip=f"not a regular file (link to {_kind(mode)})")
        if not _inside(target, roots):
            return Entry(path, source, skip="symbolic link to a file outside the given folders")
    elif stat.S_ISDIR(own.st_mode):
        return Entry(path, source, skip="a directory, not a file")
    elif not stat.S_ISREG(own.st_mode):
        return Entry(path, source, skip=f"not a regular file ({_kind(own.st_mode)})")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES and not (suffix == ".jsonl" and not in_walk):
        # A backup (.jsonl) is restored when named; a walk only reads documents.
        return Entry(path, source, skip=f"unsupported file type {suffix or '(none)'}")
    return Entry(path, source, target=target, note=note)


def _walk(root: Path, roots: list[Path], out: list[Entry]) -> None:
    try:
        with os.scandir(root) as scan:
            children = sorted(scan, key=lambda e: os.fsencode(e.name))
    except OSError as error:
        out.append(Entry(root, display_path(root), skip=f"cannot read folder: {error.strerror}"))
        return
    for child in children:
        path = root / child.name
        if child.name.startswith("."):
            kind = "folder" if child.is_dir(follow_symlinks=False) else "file"
            out.append(Entry(path, display_path(path), skip=f"hidden {kind} (not read)"))
        elif child.is_dir(follow_symlinks=False):
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                # Named like a document: say why it is no document (its files are walked).
                out.append(Entry(path, display_path(path), skip="a directory, not a file"))
            _walk(path, roots, out)
        else:
            out.append(_entry(path, roots, in_walk=True))


def collect_files(paths: Iterable[Path]) -> list[Entry]:
    """One entry per file named or met in a walk of a named directory (sorted by name within
    a directory), each path once."""
    given = [_absolute(Path(p)) for p in paths]
    # Links may lead into any given folder (resolved: a folder given through a link counts).
    roots = [Path(os.path.realpath(p)) for p in given if p.is_dir()]
    out: list[Entry] = []
    for path in given:
        if path.is_dir():  # also a folder named through a link: the user named it
            _walk(path, roots, out)
        else:
            own_folder = [Path(os.path.realpath(path.parent))]
            entry = _entry(path, roots + own_folder, in_walk=False)
            out.append(dataclasses.replace(entry, named=True))
    seen: set[Path] = set()
    unique = []
    for entry in out:
        if entry.path not in seen:
            seen.add(entry.path)
            unique.append(entry)
    return unique
