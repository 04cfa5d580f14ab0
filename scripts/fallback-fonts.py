"""Builds the fallback fonts cjm-render embeds beside Inter, so PNG, PDF,
SVG and HTML draw every script a journey map can hold on a machine with no
fonts at all. Run by scripts/subset-fonts.sh; its outputs are committed.

Each output is a TrueType (glyf) font, unhinted, compressed with zlib
(`*.ttf.zlib`): cjm inflates it once per process, hands it to resvg and
svg2pdf, and subsets it per document for SVG and HTML (which needs glyf
outlines: the run-time subsetter passes CFF through whole).

Sources (all SIL Open Font License 1.1):
  Debian fonts-noto-core   Noto Sans Arabic, Hebrew, Devanagari, Thai (Regular, Bold)
  Debian fonts-noto-cjk    Noto Sans CJK JP Regular, cut to the characters of
                           GB 2312, Big5 level 1, JIS X 0208 and KS X 1001,
                           every Hangul syllable, kana, CJK punctuation and
                           full-width forms; CFF outlines converted to glyf
  npm twemoji-colr-font    Twemoji Mozilla (COLR/CPAL colour emoji)
"""
import os
import sys
import zlib

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

OUT = sys.argv[1]
NOTO = os.environ.get("NOTO_DIR", "/usr/share/fonts/truetype/noto")
CJK_TTC = os.environ.get("NOTO_CJK", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TWEMOJI = sys.argv[2]  # twemoji.woff2 from the npm package


def charset(codec, lead, trail):
    """Every character a double-byte legacy encoding can hold."""
    out = set()
    for b1 in range(*lead):
        for b2 in range(*trail):
            try:
                s = bytes([b1, b2]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(s) == 1:
                out.add(ord(s))
    return out


def cjk_unicodes():
    chars = charset("gb2312", (0xA1, 0xFF), (0xA1, 0xFF))
    chars |= charset("big5", (0xA1, 0xC7), (0x40, 0xFF))  # symbols and level 1 hanzi
    chars |= charset("euc_jp", (0xA1, 0xFF), (0xA1, 0xFF))
    chars |= charset("euc_kr", (0xA1, 0xFF), (0xA1, 0xFF))
    for lo, hi in [(0xAC00, 0xD7A4), (0x3000, 0x3100), (0x3130, 0x3190), (0x31F0, 0x3300), (0xFF00, 0xFFF0)]:
        chars |= set(range(lo, hi))
    # Latin, Greek and Cyrillic stay Inter's.
    return {c for c in chars if c >= 0x2000}


def options(features):
    o = subset.Options()
    o.hinting = False
    o.desubroutinize = True
    o.layout_features = features
    o.name_IDs = ["*"]
    o.notdef_outline = True
    o.glyph_names = False
    return o


def to_glyf(font):
    """CFF outlines to quadratic glyf ones (within 1 unit)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for key in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, key, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font.sfntVersion = "\x00\x01\x00\x00"


def write(font, name):
    path = os.path.join(OUT, name + ".ttf")
    font.save(path)
    with open(path, "rb") as f:
        data = f.read()
    os.remove(path)
    with open(path + ".zlib", "wb") as f:
        f.write(zlib.compress(data, 9))
    print(f"{name}: {len(data)} bytes, {os.path.getsize(path + '.zlib')} compressed")


def main():
    os.makedirs(OUT, exist_ok=True)
    for script in ["Arabic", "Hebrew", "Devanagari", "Thai"]:
        for weight in ["Regular", "Bold"]:
            font = TTFont(os.path.join(NOTO, f"NotoSans{script}-{weight}.ttf"))
            s = subset.Subsetter(options(["*"]))
            s.populate(unicodes=font.getBestCmap().keys())
            s.subset(font)
            font["post"].formatType = 3.0
            write(font, f"NotoSans{script}-{weight}")
    cjk = TTCollection(CJK_TTC).fonts[0]  # Noto Sans CJK JP
    s = subset.Subsetter(options(["kern", "palt", "halt"]))
    s.populate(unicodes=cjk_unicodes())
    s.subset(cjk)
    to_glyf(cjk)
    write(cjk, "NotoSansCJKjp-Regular")
    emoji = TTFont(TWEMOJI)
    emoji.flavor = None
    s = subset.Subsetter(options(["*"]))
    s.populate(unicodes=emoji.getBestCmap().keys())
    s.subset(emoji)
    emoji["post"].formatType = 3.0
    write(emoji, "TwemojiMozilla")


main()
