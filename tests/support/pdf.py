"""Small PDFs made for tests with fpdf2."""

from __future__ import annotations


def pdf_pages(pages: int, text: str | None) -> bytes:
    """A PDF of `pages` pages; each holds `text` with a word of its own (text that repeats on
    every page is page furniture to the normalizer, and digits do not make it differ)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for number in range(pages):
        pdf.add_page()
        if text:
            word = "".join(chr(ord("a") + int(digit)) for digit in str(number))
            pdf.multi_cell(w=0, text=text.format(word))
    return bytes(pdf.output())
