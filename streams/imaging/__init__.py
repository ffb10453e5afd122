"""Image core of Darkroom's resize stage, on libvips (pyvips): pure
functions, no Kafka.

    ladder = render_ladder(data, LadderOptions(avif=False))
    for v in ladder.renditions:
        store.put(variant_key(image_id, v), v.data, v.content_type)

    one = render(data, Transform(640, 480, "webp", quality=80, effort=1))

render_ladder and render raise UndecodableImage(code, message) for poison
input (codes in errors.CODES); run them in new_pool() workers via render_in().
The steps both run, in order, are listed in steps.py.
"""

from .errors import CODES, UndecodableImage
from .keys import variant_key
from .ladder import render, render_ladder
from .model import RUNGS, Ladder, LadderOptions, Rendition, Transform, plan_sizes
from .pool import new_pool, render_in

__all__ = [
    "CODES",
    "RUNGS",
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
    "variant_key",
]
