"""Rebuild src/output/charts/fonts/FundsimSansSC.otf, the bundled CJK font.

Source: Noto Sans CJK SC Regular (SIL Open Font License 1.1), as shipped in
the Debian package fonts-noto-cjk (NotoSansCJK-Regular.ttc, face 2):

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x
    pip install fonttools
    python3 tools/font/subset.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

Kept: ASCII and Latin-1, the punctuation fundsim writes, the 3,500
characters of level 1 of the 通用规范汉字表 (fonts/level1.txt, in the
table's order), and every character of fundsim's Chinese strings
(src/output/i18n.rs). The subset is renamed "Fundsim Sans SC", as the OFL
asks of a modified version.
"""

import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = pathlib.Path(__file__).resolve().parents[2]
FONTS = ROOT / "src/output/charts/fonts"

chars = set(chr(c) for c in range(0x20, 0x7F)) | set(chr(c) for c in range(0xA0, 0x100))
chars |= set("–—‘’“”…·•−±×÷≤≥≈‰%、。，：；！？（）《》「」【】〔〕—～·％＋－")
chars |= set((FONTS / "level1.txt").read_text(encoding="utf-8").strip())
chars |= set(c for c in (ROOT / "src/output/i18n.rs").read_text(encoding="utf-8") if ord(c) > 0x2E7F)

font = TTCollection(sys.argv[1]).fonts[2]
font.recalcTimestamp = False  # the same input gives the same bytes
assert font["name"].getDebugName(1) == "Noto Sans CJK SC", font["name"].getDebugName(1)
opts = subset.Options()
opts.layout_features = []
opts.name_IDs = ["*"]
opts.notdef_outline = True
opts.hinting = False
opts.desubroutinize = False
sub = subset.Subsetter(opts)
sub.populate(unicodes=[ord(c) for c in chars])
sub.subset(font)

name = font["name"]
for rec in list(name.names):
    if rec.nameID in (1, 4, 16):
        rec.string = "Fundsim Sans SC"
    elif rec.nameID == 3:
        rec.string = "Fundsim Sans SC Regular (subset of Noto Sans CJK SC 2.004)"
    elif rec.nameID == 6:
        rec.string = "FundsimSansSC-Regular"
    elif rec.nameID == 17:
        rec.string = "Regular"
font["CFF "].cff.fontNames = ["FundsimSansSC-Regular"]
out = FONTS / "FundsimSansSC.otf"
font.save(out)
print(out, out.stat().st_size, "bytes,", len(font.getBestCmap()), "characters")
