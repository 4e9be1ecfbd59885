"""Optional manifest: known facts per file (kommun, nämnd, datum, source URL).

CSV with a header row, or JSON (a list of objects). The `file` column names the file by
its name or by its path relative to the manifest. Facts given here override inference.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from swedish.patterns import ISO_DATE

from .parse import Hints

FIELDS = ("kommun", "namnd", "datum", "source_url")


class ManifestError(ValueError):
    pass


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.base = self.path.parent.resolve()
        self._by_key: dict[str, Hints] = {}
        rows = self._rows()
        for number, row in enumerate(rows, start=2):
            name = (row.get("file") or "").strip()
            if not name:
                raise ManifestError(f"{self.path}: row {number} has no 'file'")
            datum = (row.get("datum") or "").strip() or None
            if datum and not ISO_DATE.fullmatch(datum):
                raise ManifestError(f"{self.path}: row {number}: datum must be YYYY-MM-DD")
            hints = Hints(
                kommun=(row.get("kommun") or "").strip() or None,
                namnd=(row.get("namnd") or "").strip() or None,
                datum=datum,
                source_url=(row.get("source_url") or "").strip() or None,
            )
            self._by_key[name] = hints
            self._by_key[str((self.base / name).resolve())] = hints

    def _rows(self) -> list[dict[str, str]]:
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise ManifestError(f"cannot read manifest {self.path}: {error}") from None
        if self.path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                raise ManifestError(f"{self.path}: invalid JSON: {error}") from None
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise ManifestError(f"{self.path}: expected a JSON list of objects")
            return [{k: str(v) if v is not None else "" for k, v in r.items()} for r in data]
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "file" not in reader.fieldnames:
            raise ManifestError(f"{self.path}: the CSV needs a 'file' column")
        return list(reader)

    def hints_for(self, path: Path) -> Hints | None:
        resolved = str(path.resolve())
        return self._by_key.get(resolved) or self._by_key.get(path.name)
