#!/usr/bin/python3
"""Makes assets/sample.png: scikit-image's astronaut (NASA, public domain), 200x200.

The photo is cropped to the face and helmet and reduced with Pillow's Lanczos filter so that the
README's main command (x4 with a neural model on a 2-core CPU) finishes in well under a minute.
"""
import os

from PIL import Image
from skimage import data

here = os.path.dirname(os.path.abspath(__file__))
img = Image.fromarray(data.astronaut())          # 512x512 RGB
img = img.crop((96, 0, 416, 320)).resize((200, 200), Image.LANCZOS)
img.save(os.path.join(here, "..", "assets", "sample.png"), optimize=True)
