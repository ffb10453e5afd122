"""What every stage's runner guarantees, without Kafka."""

from schemas.events import ImageDeleted
from streams.runner import derived_id


def test_published_event_ids_repeat_on_redelivery_and_differ_otherwise():
    source, other = ImageDeleted(image_id="a", owner="o"), ImageDeleted(image_id="a", owner="o")
    assert derived_id("resize", "out", source) == derived_id("resize", "out", source.model_copy())
    assert len({derived_id("resize", "out", source), derived_id("resize", "out", other),
                derived_id("metadata", "out", source), derived_id("resize", "failed", source)}) == 4
