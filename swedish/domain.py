"""The nämnd domain's closed vocabularies: parties, the roles of persons in a §, and the
kinds of parts an ärende is made of."""

from __future__ import annotations

# The roles of persons in a § that search filters on (`--roll`) and ärenden list as positions.
ROLES = ("yrkande", "reservation", "särskilt uttalande", "protokollsanteckning")

# A party named in words (the stem of its name) -> its usual abbreviation.
PARTIES = {
    "socialdemokrat": "S",
    "moderat": "M",
    "sverigedemokrat": "SD",
    "centerpartie": "C",
    "centern": "C",
    "vänsterpartie": "V",
    "kristdemokrat": "KD",
    "liberal": "L",
    "miljöpartie": "MP",
    "feministiskt initiativ": "F!",
}

# Order of types on the same date: the rapport comes before its anmälan, the svar before
# the beslut that adopts it.
TYPE_ORDER = {
    "revisionsrapport": 0,
    "missiv": 1,
    "bilaga": 2,
    "rapport": 2,
    "motion": 2,
    "anmälan": 3,
    "tjänsteskrivelse": 4,
    "yttrande": 5,
    "svar": 5,
    "beslut": 6,
}
# The kinds of part that head an ärende's members (a bilaga or rapport hangs under one).
HEAD_TYPES = {
    "revisionsrapport",
    "missiv",
    "anmälan",
    "tjänsteskrivelse",
    "yttrande",
    "svar",
    "beslut",
}
