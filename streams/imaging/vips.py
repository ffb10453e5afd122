"""libvips (pyvips with the pyvips-binary wheel: libvips 8.18 and its codecs),
set up once per process on import.

- One thread: outputs must not depend on the machine (variant keys are
  content addresses), and libaom's AVIF bytes change with its thread count,
  which libvips sets from its own concurrency (measured: 1 and 2 threads give
  different AVIFs; JPEG and WebP agree). Parallelism comes from processes,
  one image each (pool.py), which also keeps every core busy without threads
  contending.
- No operation cache: a pipeline never repeats an operation on the same
  image, so the cache would only pin decoded buffers in long-running workers.
- Every loader is blocked but those of the formats Darkroom takes
  (schemas.media.FORMATS): the wheel also reads TIFF, SVG, FITS, Matlab...,
  and a loader that is never used cannot be attacked. The decoder calls the
  one loader the sniffed format names anyway; this closes every other door.
"""

import pyvips

from schemas.media import FORMATS

# Darkroom's format name -> the libvips loader that reads it from memory
LOADERS = {"jpeg": "jpegload_buffer", "png": "pngload_buffer", "gif": "gifload_buffer",
           "webp": "webpload_buffer", "heic": "heifload_buffer", "heif": "heifload_buffer",
           "avif": "heifload_buffer"}


def _setup() -> None:
    pyvips.concurrency_set(1)  # type: ignore[attr-defined]  # missing from pyvips 3.2's stubs
    pyvips.cache_set_max(0)
    pyvips.operation_block_set("VipsForeignLoad", True)
    for fmt in FORMATS:
        # unblocked by class: jpegload_buffer is VipsForeignLoadJpegBuffer
        loader = pyvips.type_find("VipsOperation", LOADERS[fmt.name])
        pyvips.operation_block_set(pyvips.type_name(loader), False)


_setup()
