"""The scan gallery (tests/data/scans/): protokoll pages of several kommuner rendered to
images the way a scanner sees them (300 dpi, with skew, noise, blur, a stamp or a signature
over the text) and saved as image-only PDFs, each with its truth: the text drawn, and the
kommun, organ, meeting date and § of the page.

Run `cd tests && python -m support.scans` to write the gallery anew; the files are committed so
the tests and `namnd bench --only ocr` read the same pages.
"""

from __future__ import annotations

import io
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from support.docgen import wrap

FONTS = Path("/usr/share/fonts/truetype")
GALLERY = Path(__file__).resolve().parents[1] / "data" / "scans"
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi


@dataclass
class Page:
    name: str
    kommun: str
    namnd: str
    datum: str
    paragrafer: list[tuple[str, str]]  # (number, rubrik)
    lines: list[str]  # the text as drawn, line by line ("" for a gap)
    font: str
    effects: tuple[str, ...]


def _protokoll(kommun: str, namnd: str, datum: str, written: str, items: list[tuple]) -> list[str]:
    lines = [
        f"{kommun.upper()} KOMMUN",
        "SAMMANTRÄDESPROTOKOLL",
        namnd,
        "",
        f"Sammanträdesdatum {datum}",
        f"Plats och tid Kommunhuset, {written} kl. 13.00-15.30",
        "Beslutande Eva Lind (S), ordförande, Per Holm (M), Sara Ek (C)",
        "",
    ]
    for number, rubrik, dnr, body in items:
        lines += [f"§ {number}", rubrik, f"Dnr {dnr}", ""]
        lines += wrap(body, 72)
        lines.append("")
    return lines


def gallery() -> list[Page]:
    pages = []
    specs = [
        (
            "kramfors_ks",
            "Kramfors",
            "Kommunstyrelsen",
            "2021-03-08",
            "måndagen den 8 mars 2021",
            [
                ("41", "Försäljning av fastigheten Bollsta 3:12", "KS 2021/77",
                 "Kommunstyrelsen beslutar att sälja fastigheten Bollsta 3:12 till högstbjudande "
                 "för 1 250 000 kronor. Köpeavtalet ska vara undertecknat senast den 30 april."),
                ("42", "Taxa för räddningstjänsten 2021", "KS 2020/310",
                 "Förslaget innebär att timtaxan för tillsyn höjs med tre procent. Beslutet "
                 "gäller från den 1 april och ersätter den taxa som fastställdes 2019."),
            ],
            "DejaVuSerif.ttf",
            (),
        ),
        (
            "ljusdal_bun",
            "Ljusdal",
            "Barn- och utbildningsnämnden",
            "2019-11-20",
            "onsdagen den 20 november 2019",
            [
                ("88", "Skolskjuts till fristående förskoleklass", "BUN 2019/245",
                 "Nämnden avslår ansökan om skolskjuts eftersom avståndet mellan hemmet och "
                 "skolan understiger fyra kilometer. Vårdnadshavaren kan överklaga beslutet."),
                ("89", "Elevhälsans verksamhetsberättelse", "BUN 2019/198",
                 "Verksamhetsberättelsen läggs till handlingarna. Nämnden noterar att antalet "
                 "elever med hög frånvaro har ökat jämfört med föregående läsår."),
            ],
            "LiberationSerif-Regular.ttf",
            ("skew",),
        ),
        (
            "sala_mbn",
            "Sala",
            "Miljö- och byggnadsnämnden",
            "2017-06-14",
            "onsdagen den 14 juni 2017",
            [
                ("131", "Bygglov för nybyggnad av enbostadshus", "MBN 2017-000871",
                 "Bygglov beviljas med stöd av 9 kap. 31 § plan- och bygglagen. Avgiften för "
                 "lovet är 18 400 kronor och faktureras separat."),
                ("132", "Tillsyn enligt miljöbalken, Västerby 2:4", "MBN 2017-000402",
                 "Nämnden förelägger fastighetsägaren att åtgärda avloppsanläggningen senast "
                 "den 31 december. Föreläggandet förenas inte med vite."),
            ],
            "DejaVuSans.ttf",
            ("noise",),
        ),
        (
            "vimmerby_sn",
            "Vimmerby",
            "Socialnämnden",
            "2014-02-25",
            "tisdagen den 25 februari 2014",
            [
                ("17", "Riktlinjer för ekonomiskt bistånd", "SN 2014/12",
                 "Socialnämnden antar reviderade riktlinjer för ekonomiskt bistånd. "
                 "Riktlinjerna gäller från den 1 mars och ersätter riktlinjerna från 2011."),
                ("18", "Rapport om ej verkställda beslut", "SN 2014/9",
                 "Rapporten överlämnas till kommunfullmäktige och revisorerna. Två beslut om "
                 "särskilt boende har inte verkställts inom tre månader."),
            ],
            "LiberationSans-Regular.ttf",
            ("blur",),
        ),
        (
            "hudiksvall_kf",
            "Hudiksvall",
            "Kommunfullmäktige",
            "2012-09-24",
            "måndagen den 24 september 2012",
            [
                ("102", "Motion om gratis kollektivtrafik för pensionärer", "KS 2012/54",
                 "Kommunfullmäktige avslår motionen. Kostnaden har beräknats till 2,4 miljoner "
                 "kronor per år och ryms inte inom budgetramen."),
                ("103", "Val av ersättare i valnämnden", "KS 2012/201",
                 "Till ny ersättare i valnämnden efter Anders Berg (V) väljs Lena Sjö (V) för "
                 "tiden till och med den 31 december 2014."),
            ],
            "DejaVuSerif.ttf",
            ("stamp", "signature"),
        ),
    ]
    for name, kommun, namnd, datum, written, items, font, effects in specs:
        lines = _protokoll(kommun, namnd, datum, written, items)
        paragrafer = [(number, rubrik) for number, rubrik, _, _ in items]
        pages.append(Page(name, kommun, namnd, datum, paragrafer, lines, font, effects))
    return pages


def render(page: Page, seed: int = 0) -> Image.Image:
    """The page as a 300 dpi grayscale scan with its effects."""
    rng = random.Random(seed)
    image = Image.new("L", A4, color=255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(_font(page.font)), 46)  # 11 pt at 300 dpi
    y = 250
    for line in page.lines:
        if line:
            draw.text((250, y), line, fill=20, font=font)
        y += 66
    if "stamp" in page.effects:
        stamp = Image.new("L", (700, 300), color=255)
        ImageDraw.Draw(stamp).rounded_rectangle((5, 5, 695, 295), 30, outline=140, width=10)
        ImageDraw.Draw(stamp).text((90, 100), "JUSTERAT", fill=140, font=_bold(110))
        layer = Image.new("L", A4, color=255)
        layer.paste(stamp.rotate(12, expand=True, fillcolor=255), (1500, 560))
        image = ImageChops.multiply(image, layer)  # ink over the text, as a stamp lies
    if "signature" in page.effects:
        draw = ImageDraw.Draw(image)
        points = [(1400 + 30 * i, y + 40 + rng.randint(-40, 40)) for i in range(22)]
        draw.line(points, fill=60, width=6, joint="curve")
    if "skew" in page.effects:
        image = image.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if "blur" in page.effects:
        image = image.filter(ImageFilter.GaussianBlur(1.6))
    if "noise" in page.effects:
        pixels = image.load()
        for _ in range(60_000):
            x, y2 = rng.randrange(A4[0]), rng.randrange(A4[1])
            pixels[x, y2] = 0 if rng.random() < 0.5 else 255
        image = image.filter(ImageFilter.GaussianBlur(0.6))
    return image


def _font(name: str) -> Path:
    found = sorted(FONTS.rglob(name))
    if not found:
        raise FileNotFoundError(f"font {name} (apt-get install fonts-dejavu fonts-liberation)")
    return found[0]


def _bold(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font("DejaVuSans-Bold.ttf")), size)


def to_pdf(images: list[Image.Image]) -> bytes:
    """Image-only PDF pages (no text layer), JPEG-compressed as scanners save them."""
    out = io.BytesIO()
    rgb = [i.convert("L") for i in images]
    rgb[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=rgb[1:], quality=70)
    return out.getvalue()


def write_gallery(folder: Path = GALLERY) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(gallery()):
        (folder / f"{page.name}.pdf").write_bytes(to_pdf([render(page, seed=number)]))
        truth = {
            "kommun": page.kommun,
            "namnd": page.namnd,
            "datum": page.datum,
            "paragrafer": [{"paragraf": n, "rubrik": r} for n, r in page.paragrafer],
            "effects": list(page.effects),
            "text": "\n".join(page.lines),
        }
        (folder / f"{page.name}.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    write_gallery(Path(sys.argv[1]) if len(sys.argv) > 1 else GALLERY)
