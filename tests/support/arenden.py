"""Ärende facts of the seeds shared by the ärende tests: the answer to each audit
recommendation, and lookups of a unit and its ärende in a store."""

from __future__ import annotations

# The answering paragraph of each recommendation, as the svar (seed 003) and § 76 (seed 000)
# both write it.
ANSWERS = [
    ("Revidera nämndens mål", "Avseende rekommendationen att revidera nämndens mål"),
    (
        "Utforma ett systematiskt arbetssätt för att följa upp och säkerställa att handläggning",
        "Socialnämnden arbetar med ständiga förbättringar i syfte att utforma",
    ),
    (
        "Utforma ett systematiskt arbetssätt för att följa upp och säkerställa att beslut",
        "Socialnämnden är medveten om att det i att utforma ett systematiskt",
    ),
    ("Säkerställ att iakttaga brister", "Sedan årsskiftet 2021/2022 finns ett ledningssystem"),
    (
        "Säkerställ att lagens skyndsamhetskrav",
        "Som det beskrivs inledningsvis är socialförvaltningen i förändring",
    ),
]


def unit_id(store, seed: str, paragraf: str | None = None, title: str | None = None) -> int:
    """The paragraph id of a § (or a part, by the start of its title) in a seed."""
    rows = store.query(
        """SELECT p.id FROM paragraphs p JOIN parts pa ON pa.id = p.part_id
           JOIN documents d ON d.id = p.document_id
           WHERE d.filename LIKE ? AND (? IS NULL OR p.paragraf = ?)
             AND (? IS NULL OR coalesce(p.rubrik, pa.title) LIKE ?)
           ORDER BY p.id""",
        [f"{seed}%", paragraf, paragraf, title, f"{title}%"],
    )
    assert len(rows) == 1, (seed, paragraf, title, len(rows))
    return rows[0][0]


def arende_id(store, paragraph_id: int) -> int:
    found = store.scalar(
        "SELECT arende_id FROM arende_units WHERE paragraph_id = ?", [paragraph_id]
    )
    assert found is not None
    return found
