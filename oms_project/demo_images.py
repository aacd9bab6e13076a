"""Product pictures for the demo data set, drawn with Pillow: studio-style shots (soft backdrop, floor shadow,
shaded product) so the demo shop looks like a shop without shipping or downloading any photo.

Every picture is drawn at twice its size and scaled down (smooth edges). Drawing is deterministic: the same
product and colour always give the same bytes, so ``product_image_add`` (which deduplicates by checksum) adds each
picture once however often ``seed_demo`` runs.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SIZE = 800  # the stored picture, square
S = SIZE * 2  # the drawing canvas
RGB = tuple[int, int, int]

COLOURS: dict[str, RGB] = {
    "Black": (38, 40, 46),
    "White": (236, 234, 228),
    "Navy": (36, 52, 92),
    "Olive": (96, 104, 58),
    "Heather": (128, 122, 116),
    "Forest Green": (40, 98, 70),
    "Lake Blue": (52, 112, 170),
    "Sand": (214, 190, 150),
    "Rust": (170, 82, 48),
    "Cedar": (120, 78, 46),
    "Fig": (112, 56, 86),
    "Sea Salt": (120, 170, 180),
    "Red": (180, 40, 44),
    "Steel": (170, 176, 184),
    "Ceramic": (232, 228, 220),
}


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _lighter(c: RGB, t: float) -> RGB:
    return _mix(c, (255, 255, 255), t)


def _darker(c: RGB, t: float) -> RGB:
    return _mix(c, (0, 0, 0), t)


def _mask(draw: Callable[[ImageDraw.ImageDraw], None]) -> Image.Image:
    mask = Image.new("L", (S, S), 0)
    draw(ImageDraw.Draw(mask))
    return mask


def _diagonal() -> Image.Image:
    """0 at the top left to 255 at the bottom right: light falls from the upper left."""
    down = Image.linear_gradient("L").resize((S, S))
    return ImageChops.add(down, down.rotate(90), scale=2)


class Scene:
    def __init__(self, backdrop: RGB) -> None:
        top, bottom = _lighter(backdrop, 0.55), _darker(backdrop, 0.04)
        ramp = Image.linear_gradient("L").resize((S, S))
        self.canvas = Image.composite(Image.new("RGB", (S, S), bottom), Image.new("RGB", (S, S), top), ramp)
        self.light = _diagonal()

    def shadow(self, box: tuple[int, int, int, int], strength: int = 120) -> None:
        shade = _mask(lambda d: d.ellipse(box, fill=strength)).filter(ImageFilter.GaussianBlur(S / 40))
        self.canvas.paste((40, 38, 36), mask=shade)

    def paint(self, mask: Image.Image, colour: RGB, *, gloss: float = 0.0) -> None:
        """Fill ``mask`` with ``colour`` lit from the upper left, darker towards its own edges (a rounded look),
        with an optional soft highlight."""
        lit = Image.composite(
            Image.new("RGB", (S, S), _darker(colour, 0.22)),
            Image.new("RGB", (S, S), _lighter(colour, 0.16)),
            self.light,
        )
        self.canvas.paste(lit, mask=mask)
        edge = ImageChops.subtract(mask, mask.filter(ImageFilter.GaussianBlur(S / 70)))
        self.canvas.paste(_darker(colour, 0.45), mask=edge.point(lambda v: v * 0.8))
        if gloss:
            bbox = mask.getbbox()
            if bbox:
                x0, y0, x1, y1 = bbox
                band = _mask(lambda d: d.ellipse((x0 + (x1 - x0) * 0.12, y0, x0 + (x1 - x0) * 0.34, y1), fill=255))
                band = ImageChops.multiply(band.filter(ImageFilter.GaussianBlur(S / 50)), mask)
                self.canvas.paste((255, 255, 255), mask=band.point(lambda v: v * gloss))

    def line(self, points: list[tuple[float, float]], colour: RGB, width: int) -> None:
        ImageDraw.Draw(self.canvas).line(points, fill=colour, width=width, joint="curve")

    def jpeg(self) -> bytes:
        out = io.BytesIO()
        self.canvas.resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(out, "JPEG", quality=86, optimize=True)
        return out.getvalue()


def _garment(scene: Scene, colour: RGB, *, long_sleeves: bool, hood: bool, zip_front: bool) -> None:
    scene.shadow((S * 0.22, S * 0.84, S * 0.78, S * 0.92))
    cx = S / 2
    body = [(cx - 300, 430), (cx - 300, 1330), (cx + 300, 1330), (cx + 300, 430)]
    if long_sleeves:
        left = [(cx - 300, 430), (cx - 470, 560), (cx - 560, 1230), (cx - 420, 1250), (cx - 330, 760)]
    else:
        left = [(cx - 300, 430), (cx - 520, 560), (cx - 440, 760), (cx - 300, 700)]
    right = [(2 * cx - x, y) for x, y in left]  # the mirror image
    shoulders = [(cx - 300, 430), (cx - 120, 360), (cx + 120, 360), (cx + 300, 430)]

    def shirt(d: ImageDraw.ImageDraw) -> None:
        d.polygon(body, fill=255)
        d.polygon(left, fill=255)
        d.polygon(right, fill=255)
        d.polygon([*shoulders, (cx + 300, 600), (cx - 300, 600)], fill=255)
        if not hood:
            d.ellipse((cx - 120, 300, cx + 120, 470), fill=0)

    scene.paint(_mask(shirt), colour)
    trim = _darker(colour, 0.3)
    if hood:
        scene.paint(_mask(lambda d: d.ellipse((cx - 200, 250, cx + 200, 560), fill=255)), _darker(colour, 0.12))
        scene.paint(_mask(lambda d: d.ellipse((cx - 110, 330, cx + 110, 520), fill=255)), _darker(colour, 0.5))
    else:
        scene.line([(cx - 118, 390), (cx, 468), (cx + 118, 390)], trim, 18)
    if zip_front:
        scene.line([(cx, 540), (cx, 1320)], _lighter(trim, 0.35), 10)
        for x in (cx - 260, cx + 90):
            scene.line([(x, 1040), (x + 170, 1040)], trim, 8)
    elif hood:
        scene.paint(
            _mask(
                lambda d: d.polygon([(cx - 200, 980), (cx + 200, 980), (cx + 250, 1200), (cx - 250, 1200)], fill=255)
            ),
            _darker(colour, 0.08),
        )
        for x in (cx - 40, cx + 40):
            scene.line([(x, 540), (x, 760)], _lighter(colour, 0.55), 10)
    scene.line([(cx - 300, 1290), (cx + 300, 1290)], trim, 10)


def _tee(scene: Scene, colour: RGB) -> None:
    _garment(scene, colour, long_sleeves=False, hood=False, zip_front=False)


def _hoodie(scene: Scene, colour: RGB) -> None:
    _garment(scene, colour, long_sleeves=True, hood=True, zip_front=False)


def _jacket(scene: Scene, colour: RGB) -> None:
    _garment(scene, colour, long_sleeves=True, hood=True, zip_front=True)


def _socks(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.18, S * 0.82, S * 0.84, S * 0.9))
    for dx, dy in ((-250, 0), (170, 60)):

        def sock(d: ImageDraw.ImageDraw, dx: float = dx, dy: float = dy) -> None:
            d.rounded_rectangle((620 + dx, 300 + dy, 900 + dx, 1100 + dy), radius=60, fill=255)
            d.rounded_rectangle((620 + dx, 900 + dy, 1180 + dx, 1200 + dy), radius=150, fill=255)

        scene.paint(_mask(sock), colour)
        accent = COLOURS["Rust"]
        scene.paint(
            _mask(
                lambda d, dx=dx, dy=dy: d.rounded_rectangle(
                    (620 + dx, 300 + dy, 900 + dx, 420 + dy), radius=40, fill=255
                )
            ),
            _lighter(colour, 0.5),
        )
        scene.paint(
            _mask(lambda d, dx=dx, dy=dy: d.pieslice((960 + dx, 900 + dy, 1180 + dx, 1200 + dy), -90, 90, fill=255)),
            accent,
        )
        scene.paint(
            _mask(lambda d, dx=dx, dy=dy: d.pieslice((620 + dx, 980 + dy, 840 + dx, 1200 + dy), 90, 180, fill=255)),
            accent,
        )
        for y in (460, 500):
            scene.line([(630 + dx, y + dy), (890 + dx, y + dy)], accent, 14)


def _mug(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.22, S * 0.78, S * 0.8, S * 0.86))
    scene.paint(
        _mask(lambda d: d.ellipse((1040, 620, 1330, 1050), fill=255) or d.ellipse((1100, 700, 1260, 970), fill=0)),
        colour,
    )
    scene.paint(_mask(lambda d: d.rounded_rectangle((400, 520, 1100, 1300), radius=70, fill=255)), colour, gloss=0.35)
    scene.paint(_mask(lambda d: d.ellipse((400, 470, 1100, 590), fill=255)), _darker(COLOURS["Navy"], 0.2))
    scene.paint(_mask(lambda d: d.ellipse((420, 480, 1080, 575), fill=255)), _darker(colour, 0.3))


def _coffee_set(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.2, S * 0.8, S * 0.8, S * 0.88))
    glass = (200, 214, 220)
    scene.paint(_mask(lambda d: d.rounded_rectangle((480, 760, 1120, 1320), radius=180, fill=255)), glass, gloss=0.5)
    scene.paint(_mask(lambda d: d.rounded_rectangle((500, 1020, 1100, 1300), radius=150, fill=255)), (92, 56, 34))
    scene.paint(_mask(lambda d: d.rounded_rectangle((620, 700, 980, 790), radius=20, fill=255)), _darker(glass, 0.2))
    scene.paint(
        _mask(lambda d: d.polygon([(500, 330), (1100, 330), (900, 700), (700, 700)], fill=255)),
        COLOURS["Ceramic"],
        gloss=0.3,
    )
    scene.paint(_mask(lambda d: d.ellipse((500, 300, 1100, 370), fill=255)), _darker(COLOURS["Ceramic"], 0.25))
    scene.line([(1120, 880), (1220, 930), (1220, 1150), (1120, 1200)], _darker(glass, 0.35), 26)


def _knife(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.1, S * 0.62, S * 0.92, S * 0.7), strength=90)
    scene.paint(
        _mask(lambda d: d.polygon([(180, 760), (980, 620), (1000, 860), (260, 860)], fill=255)),
        COLOURS["Steel"],
        gloss=0.6,
    )
    scene.line([(240, 820), (990, 700)], _lighter(COLOURS["Steel"], 0.4), 6)
    scene.paint(
        _mask(lambda d: d.rounded_rectangle((980, 640, 1460, 860), radius=60, fill=255)), (64, 40, 28), gloss=0.25
    )
    for x in (1100, 1230, 1360):
        scene.paint(_mask(lambda d, x=x: d.ellipse((x - 22, 728, x + 22, 772), fill=255)), COLOURS["Steel"])


def _cushion(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.15, S * 0.8, S * 0.85, S * 0.9))

    def pillow(d: ImageDraw.ImageDraw) -> None:
        d.rounded_rectangle((300, 330, 1300, 1270), radius=200, fill=255)
        for x, y in ((300, 330), (1300, 330), (300, 1270), (1300, 1270)):  # the stuffed corners poke out
            sx, sy = (1 if x < S / 2 else -1), (1 if y < S / 2 else -1)
            d.polygon([(x - 10 * sx, y - 10 * sy), (x + 260 * sx, y + 90 * sy), (x + 90 * sx, y + 260 * sy)], fill=255)

    scene.paint(_mask(pillow), colour, gloss=0.12)
    for y in range(380, 1240, 18):  # linen weave
        scene.line([(320, y), (1280, y)], _darker(colour, 0.06), 3)
    scene.line([(430, 1200), (1170, 1200)], _darker(colour, 0.25), 6)


def _candle(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.25, S * 0.8, S * 0.75, S * 0.87))
    glass = (196, 190, 176)
    scene.paint(_mask(lambda d: d.rounded_rectangle((520, 560, 1080, 1300), radius=60, fill=255)), glass, gloss=0.5)
    scene.paint(_mask(lambda d: d.rounded_rectangle((540, 640, 1060, 1280), radius=50, fill=255)), (240, 232, 214))
    scene.paint(_mask(lambda d: d.rectangle((560, 860, 1040, 1120), fill=255)), colour)
    scene.line([(620, 990), (980, 990)], _lighter(colour, 0.7), 12)
    scene.line([(800, 640), (800, 560)], (40, 36, 30), 10)
    flame = _mask(lambda d: d.ellipse((770, 430, 830, 570), fill=255)).filter(ImageFilter.GaussianBlur(8))
    scene.canvas.paste((255, 190, 80), mask=flame)


def _backpack(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.22, S * 0.84, S * 0.78, S * 0.92))
    scene.line([(620, 420), (560, 300), (1040, 300), (980, 420)], _darker(colour, 0.4), 34)
    scene.paint(_mask(lambda d: d.rounded_rectangle((420, 380, 1180, 1360), radius=200, fill=255)), colour, gloss=0.15)
    scene.paint(
        _mask(lambda d: d.rounded_rectangle((420, 380, 1180, 640), radius=200, fill=255)), _darker(colour, 0.15)
    )
    scene.paint(
        _mask(lambda d: d.rounded_rectangle((540, 860, 1060, 1280), radius=110, fill=255)), _darker(colour, 0.1)
    )
    scene.line([(560, 900), (1040, 900)], (30, 30, 30), 10)
    scene.paint(_mask(lambda d: d.rounded_rectangle((760, 600, 840, 700), radius=14, fill=255)), (210, 210, 210))


def _bottle(scene: Scene, colour: RGB) -> None:
    scene.shadow((S * 0.32, S * 0.84, S * 0.68, S * 0.9))
    scene.paint(_mask(lambda d: d.rounded_rectangle((590, 420, 1010, 1380), radius=150, fill=255)), colour, gloss=0.55)
    scene.paint(
        _mask(lambda d: d.rounded_rectangle((660, 260, 940, 440), radius=40, fill=255)), (46, 46, 50), gloss=0.3
    )
    scene.line([(600, 1250), (1000, 1250)], _darker(colour, 0.2), 8)


@dataclass(frozen=True)
class Artwork:
    draw: Callable[[Scene, RGB], None]
    backdrop: RGB
    colours: tuple[str, ...]  # one picture per colour, the first is the product's card


ARTWORK: dict[str, Artwork] = {
    "Classic Tee": Artwork(_tee, (226, 222, 214), ("Black", "White")),
    "Merino Hoodie": Artwork(_hoodie, (214, 220, 228), ("Navy",)),
    "Rain Jacket": Artwork(_jacket, (218, 224, 214), ("Olive",)),
    "Wool Socks": Artwork(_socks, (232, 224, 212), ("Heather",)),
    "Enamel Mug": Artwork(_mug, (222, 228, 230), ("White", "Forest Green", "Lake Blue")),
    "Pour-Over Coffee Set": Artwork(_coffee_set, (232, 222, 208), ("Ceramic",)),
    "Chef's Knife": Artwork(_knife, (214, 216, 218), ("Steel",)),
    "Linen Cushion Cover": Artwork(_cushion, (230, 226, 218), ("Sand", "Rust")),
    "Soy Candle": Artwork(_candle, (226, 218, 210), ("Cedar", "Fig", "Sea Salt")),
    "Trail Backpack": Artwork(_backpack, (220, 224, 216), ("Black", "Red")),
    "Insulated Bottle": Artwork(_bottle, (214, 224, 226), ("Lake Blue",)),
}


@functools.cache  # drawing takes a fraction of a second per picture; a process (a test run) draws each once
def product_pictures(product_name: str) -> tuple[tuple[str, bytes], ...]:
    """(alt text, JPEG bytes) for each picture of a demo product; none for a product without artwork."""
    artwork = ARTWORK.get(product_name)
    if artwork is None:
        return ()
    pictures = []
    for colour_name in artwork.colours:
        scene = Scene(artwork.backdrop)
        artwork.draw(scene, COLOURS[colour_name])
        pictures.append((f"{product_name} in {colour_name.lower()}", scene.jpeg()))
    return tuple(pictures)
