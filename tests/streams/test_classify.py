"""The classifier on real photos (scikit-image's wheel ships them), the tag
vocabulary, and the stage's `process` with a fake store."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from schemas.events import Variant, VariantsReady
from streams import tagging
from streams.classify import Classifier, TaggingSettings, UndecodableVariant, export, vocabulary
from streams.classify.model import label_names, preprocess
from streams.errors import Poison

SETTINGS = TaggingSettings()


def _jpeg(pixels: np.ndarray, size: tuple[int, int] | None = None) -> bytes:
    image = Image.fromarray(pixels)
    if size:
        image = image.resize(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    if not export.is_current(SETTINGS.model_path):
        pytest.fail(f"no current model at {SETTINGS.model_path}: run `python -m streams.classify.export`")
    return Classifier(SETTINGS.model_path)


@pytest.mark.parametrize(("photo", "tag", "label"), [
    pytest.param(samples.chelsea, "cat", {"tabby", "tiger cat", "Egyptian cat"}, id="chelsea-is-a-cat"),
    pytest.param(samples.coffee, "coffee", {"espresso", "cup"}, id="coffee-is-coffee"),
])
def test_clear_photos_get_a_plausible_tag(classifier, photo, tag, label):
    # As the resize stage would hand it over: the 320 px JPEG variant.
    labels, tags = classifier.classify(_jpeg(photo(), (320, 240)), SETTINGS.min_confidence, 5)
    by_tag = {t.tag: t.confidence for t in tags}
    assert by_tag.get(tag, 0) > 0.5, tags
    assert labels[0].name in label
    assert all(SETTINGS.min_confidence <= t.confidence <= 1 for t in tags)
    assert [lb.confidence for lb in labels] == sorted((lb.confidence for lb in labels), reverse=True)


def test_a_cat_is_also_an_animal_and_not_a_dog(classifier):
    _, tags = classifier.classify(_jpeg(samples.chelsea()), 0.05, 5)
    by_tag = {t.tag: t.confidence for t in tags}
    assert by_tag["animal"] >= by_tag["cat"]
    assert "dog" not in by_tag and "drink" not in by_tag


def test_the_threshold_drops_unsure_labels(classifier):
    noise = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    labels, _ = classifier.classify(_jpeg(noise), 0.99, 5)
    assert labels == []


@pytest.mark.parametrize("data", [b"", b"not an image", _jpeg(samples.coffee())[:200]],
                         ids=["empty", "text", "truncated-jpeg"])
def test_undecodable_bytes_are_refused(classifier, data):
    with pytest.raises(UndecodableVariant):
        classifier.classify(data, 0.2, 5)


def test_preprocess_is_a_centred_224_square_scaled_as_in_training():
    white = np.full((100, 300, 3), 255, dtype=np.uint8)
    x = preprocess(_jpeg(white))
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    assert np.allclose(x, (255 - 127) / 128, atol=0.02)


def test_labels_are_the_imagenet_classes_by_index():
    names = label_names()
    assert len(names) == 1000
    assert (names[281], names[967], names[504]) == ("tabby", "espresso", "coffee mug")


@pytest.mark.parametrize(("index", "tags"), [
    (281, {"cat", "animal"}), (967, {"coffee", "drink"}), (207, {"dog", "animal"}),
    (817, {"car", "vehicle"}), (978, {"beach", "water", "landscape", "nature"}), (398, set()),
], ids=["tabby", "espresso", "golden-retriever", "sports-car", "seashore", "abacus-has-none"])
def test_vocabulary_maps_classes_to_readable_tags(index, tags):
    assert set(vocabulary.TAGS_OF_CLASS.get(index, ())) == tags


def test_a_tag_sums_the_probability_of_its_classes():
    probs = np.zeros(1000)
    probs[[281, 282, 285]] = [0.3, 0.2, 0.1]  # three kinds of cat
    probs[207] = 0.4
    scores = dict(vocabulary.tag_confidences(probs))
    assert scores["cat"] == pytest.approx(0.6)
    assert scores["animal"] == pytest.approx(1.0)
    assert scores["drink"] == 0


def _variant(width: int, height: int, fmt: str = "jpeg") -> Variant:
    return Variant(width=width, height=height, format=fmt, key=f"public/v/x/{width}.{fmt}", byte_size=1)


@pytest.mark.parametrize(("variants", "picked"), [
    ([_variant(150, 113), _variant(320, 240), _variant(640, 480), _variant(320, 240, "webp")],
     (320, 240, "jpeg")),
    ([_variant(150, 113), _variant(200, 100)], (200, 100, "jpeg")),
    ([_variant(640, 480, "webp"), _variant(320, 240, "webp")], (320, 240, "webp")),
    ([], None),
], ids=["smallest-jpeg-of-224", "largest-when-all-small", "webp-when-no-jpeg", "none"])
def test_pick_variant(variants, picked):
    chosen = tagging.pick_variant(variants)
    assert (chosen and (chosen.width, chosen.height, chosen.format)) == picked


class FakeBucket:
    """Stands in for the variants bucket (connectors.minio.Bucket): a dict of key -> bytes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get_if_present(self, key: str) -> bytes | None:
        return self.objects.get(key)


class FakeImages:
    """The image repository as far as tagging asks: a record whose variants the event lists."""

    def get(self, image_id: str):
        return SimpleNamespace(variants=[])  # an empty list: the event's variants are current


@pytest.fixture
def deps(classifier):
    with ThreadPoolExecutor(1) as pool:
        yield tagging.Deps(variants=FakeBucket(), images=FakeImages(), classifier=classifier,
                           options=SETTINGS, pool=pool)


def _ready(*variants: Variant) -> VariantsReady:
    return VariantsReady(image_id="img1", variants=list(variants), placeholder="x", dominant_color="#000000")


def test_process_publishes_model_tags_with_source_and_confidence(deps):
    small, chosen = _variant(150, 113), _variant(320, 240)
    deps.variants.objects[chosen.key] = _jpeg(samples.chelsea(), (320, 240))
    first = asyncio.run(tagging.process(_ready(small, chosen), deps))
    again = asyncio.run(tagging.process(_ready(small, chosen), deps))
    assert first.model == "efficientnet-lite0" and first.image_id == "img1"
    assert "cat" in {t.tag for t in first.tags}
    assert {t.source for t in first.tags + first.labels} == {"efficientnet-lite0"}
    assert (again.tags, again.labels) == (first.tags, first.labels)  # a redelivery says the same


def test_process_poisons_an_unreadable_variant_and_skips_a_deleted_one(deps):
    broken, gone = _variant(320, 240), _variant(640, 480)
    deps.variants.objects[broken.key] = b"\xff\xd8 not really a jpeg"
    with pytest.raises(Poison) as poison:
        asyncio.run(tagging.process(_ready(broken), deps))
    assert poison.value.code == "undecodable_variant"
    assert asyncio.run(tagging.process(_ready(gone), deps)) is None
