"""Near-duplicate chunks: the same text in a protokoll and its utdrag, or in a § and the
tjänsteskrivelse it decided on.

Chunks are compared by word 4-shingles. MinHash signatures cut into bands (locality-sensitive
hashing) find candidates through an index lookup, so finding duplicates does not grow with
the size of the store; candidates are then confirmed by their exact Jaccard similarity.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

SHINGLE = 4
MIN_WORDS = 8
BANDS = 8
ROWS = 4
THRESHOLD = 0.6
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20231122)
_A = _rng.integers(1, 1 << 40, size=BANDS * ROWS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 40, size=BANDS * ROWS, dtype=np.uint64)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def shingles(text: str) -> set[int]:
    words = _words(text)
    if len(words) < MIN_WORDS:
        return set()
    return {
        zlib.crc32(" ".join(words[i : i + SHINGLE]).encode())
        for i in range(len(words) - SHINGLE + 1)
    }


def _exact_key(text: str) -> str:
    return f"x:{zlib.crc32(' '.join(_words(text)).encode()):08x}"


def bands(text: str) -> list[str]:
    """LSH band keys of a chunk text; a chunk too short for shingles gets one key for its
    exact words, so identical short chunks ("Beslutet skickas till: Kommunstyrelsen") still
    meet."""
    values = shingles(text)
    if not values:
        return [_exact_key(text)] if _words(text) else []
    x = np.fromiter(values, dtype=np.uint64)
    # (a*x + b) mod p per hash function; a*x may wrap at 2**64, which keeps it a fixed
    # pseudo-random permutation of the shingle hashes: all MinHash needs.
    signature = ((np.outer(_A, x) + _B[:, None]) % _PRIME).min(axis=1)
    rows = signature.reshape(BANDS, ROWS)
    return [f"{band}:{zlib.crc32(row.tobytes()):08x}" for band, row in enumerate(rows)]


def is_duplicate(a: str, b: str) -> bool:
    """Same text: Jaccard of word 4-shingles ≥ 0.6, or a chunk of 12+ shingles lying almost
    entirely inside the other (chunk boundaries differ between two documents)."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return bool(_words(a)) and _words(a) == _words(b)
    common = len(sa & sb)
    if common / len(sa | sb) >= THRESHOLD:
        return True
    smaller = min(len(sa), len(sb))
    return smaller >= 12 and common / smaller >= 0.85
