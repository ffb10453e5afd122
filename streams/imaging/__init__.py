"""Image core of Darkroom's resize stage: pure functions, no Kafka.

    ladder = render_ladder(data, LadderOptions(avif=False))
    for v in ladder.renditions:
        store.put(variant_key(image_id, v), v.data, v.content_type)

render_ladder raises UndecodableImage(code, message) for poison input
(codes in errors.CODES); run it in new_pool() workers via render_in().
"""

from .errors import CODES, UndecodableImage
from .keys import variant_key
from .ladder import render_ladder
from .model import RUNGS, Ladder, LadderOptions, Rendition, plan_sizes
from .pool import new_pool, render_in

__all__ = [
    "CODES",
    "RUNGS",
    "Ladder",
    "LadderOptions",
    "UndecodableImage",
    "Rendition",
    "new_pool",
    "plan_sizes",
    "render_in",
    "render_ladder",
    "variant_key",
]
