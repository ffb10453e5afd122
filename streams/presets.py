"""The presets named at upload, as the resize stage renders them: not a
stage of its own (no agent here), the part of `resize.process` that reads
the owner's presets and turns each into an output or a problem.

They are rendered with the ladder, in the same worker, because the
original is in memory there already (a stage of their own would fetch it
again) and because their outputs and problems are then recorded in the
same conditional write as the variants, so `variants.ready` tells the
whole story of an upload at once. A preset that cannot apply (unknown,
needing a larger image, a watermark image that is gone, an output over the
limits) is reported by name with why, and the image goes on all the same.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from connectors.minio import Bucket
from connectors.presets import PresetRepository
from connectors.records import ImageRepository
from schemas import transforms
from schemas.transforms import InvalidOptions
from streams import imaging


@dataclass(frozen=True)
class Output:
    name: str
    options: str  # canonical: the key of the stored result and of its transform URL
    rendition: imaging.Rendition


@dataclass
class Rendered:
    outputs: list[Output] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


async def render(names: list[str], owner: str, original: bytes, size: tuple[int, int], *,
                 presets: PresetRepository, images: ImageRepository, originals: Bucket,
                 pool: ProcessPoolExecutor) -> Rendered:
    """Each of `names` (the owner's presets) for an original of upright `size`."""
    done = Rendered()
    if not names:
        return done
    found = await asyncio.to_thread(presets.many, owner, names)
    for name in dict.fromkeys(names):
        preset = found.get(name)
        if preset is None:
            done.problems[name] = f"{owner} has no preset named {name}"
            continue
        try:
            options = transforms.parse(preset.options)
        except InvalidOptions as exc:  # a limit lowered since it was defined
            done.problems[name] = str(exc)
            continue
        problem = imaging.shortfall(options, *size)
        mark = await _watermark(options, images, originals)
        if problem is None and options.watermark_image is not None and mark is None:
            problem = f"the watermark image {options.watermark_image} is not available"
        if problem is None:
            try:
                rendition = await imaging.run_in(pool, imaging.render_options, original, options, mark)
                done.outputs.append(Output(name, preset.options, rendition))
                continue
            except (InvalidOptions, imaging.UndecodableImage) as exc:  # the output's limits, or the mark's
                problem = str(exc)
        done.problems[name] = problem
    return done


async def _watermark(options: transforms.Options, images: ImageRepository, originals: Bucket) -> bytes | None:
    if options.watermark_image is None:
        return None
    record = await asyncio.to_thread(images.get, options.watermark_image)
    if record is None or record.deleted:
        return None
    return await asyncio.to_thread(originals.get_if_present, record.original_key)
