"""Opens a deck cjm wrote with python-pptx, as another program would, and
checks it: slide size, the slides' titles in order, and a picture on every
slide after the first whose SVG and PNG parts are both there.
Usage: deck-check.py DECK.pptx TITLE...   (TITLE: the expected slide titles)
"""
import sys

from pptx import Presentation
from pptx.util import Emu

deck, expected = sys.argv[1], sys.argv[2:]
p = Presentation(deck)
assert (p.slide_width, p.slide_height) == (Emu(12192000), Emu(6858000)), "not 16:9"
titles = []
for i, slide in enumerate(p.slides):
    texts = [s for s in slide.shapes if s.has_text_frame]
    titles.append(texts[0].text_frame.text)
    pictures = [s for s in slide.shapes if s.shape_type == 13]
    if i == 0:
        assert not pictures, "the title slide is text"
        continue
    assert len(pictures) == 1, f"slide {i + 1}: {len(pictures)} pictures"
    parts = {r.target_part.partname.ext for r in slide.part.rels.values() if "image" in r.reltype}
    assert parts == {"png", "svg"}, f"slide {i + 1}: picture parts {parts}"
    assert pictures[0].image.content_type == "image/png"
assert titles == expected, f"slides {titles}, expected {expected}"
print(f"deck {deck}: {len(titles)} slides ok")
