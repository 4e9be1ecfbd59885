"""Joining line fragments of Swedish text: a hyphen at a line end is a hyphenation break
("förhands-" + "bedömning") unless the next word continues a list of compound parts
("barn- och ungdomsvården", "hälso- samt sjukvård"), where the hyphen is written."""

from __future__ import annotations

import re

# The first word of a line that continues an unfinished sentence from the line before.
_CONTINUATION_WORDS = {"och", "eller", "samt", "respektive", "som", "till", "att"}


def join_words(left: str, right: str) -> str:
    """Join two line fragments, undoing a hyphenation break ("förhands-" + "bedömning")."""
    drop, separator = joint(left[-2:], right)
    return (left[:-1] if drop else left) + separator + right


def joint(left_end: str, right: str) -> tuple[bool, str]:
    """How to join a fragment ending in `left_end` (its last two characters) to `right`:
    whether to drop the left's hyphen, and the separator."""
    if re.search(r"[a-zåäöéü]-$", left_end) and right[:1].islower():
        first = right.split(" ", 1)[0]
        if first in _CONTINUATION_WORDS:
            return False, " "
        return True, ""
    return False, " "
