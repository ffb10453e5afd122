"""Image core of Darkroom's resize stage, on libvips (pyvips): pure
functions, no Kafka.

    ladder = render_ladder(data, LadderOptions(avif=False))
    for v in ladder.renditions:
        store.put(variant_key(image_id, v), v.data, v.content_type)

    one = render(data, Transform(640, 480, "webp", quality=80, effort=1))
    asked = render_options(data, schemas.transforms.parse("w:400,h:400,fit:fill,f:webp"))

render_ladder and render raise UndecodableImage(code, message) for poison
input (codes in errors.CODES); run them in new_pool() workers via render_in()
and run_in(). The steps all three run, in order, are listed in steps.py (the
edits a transform may add, in edits.py); recipe.py turns options into a
Transform.
"""

from .errors import CODES, UndecodableImage
from .keys import variant_key
from .ladder import render, render_ladder
from .model import RUNGS, Crop, Ladder, LadderOptions, Rendition, Transform, Watermark, plan_sizes
from .pool import new_pool, render_in, run_in
from .recipe import render_options, shortfall

__all__ = [
    "CODES",
    "RUNGS",
    "Crop",
    "Ladder",
    "LadderOptions",
    "UndecodableImage",
    "Rendition",
    "Transform",
    "new_pool",
    "plan_sizes",
    "render",
    "render_in",
    "render_ladder",
    "render_options",
    "run_in",
    "shortfall",
    "variant_key",
    "Watermark",
]
