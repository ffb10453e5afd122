import re

import pytest

from schemas import topics
from streams import registry


@pytest.fixture(scope="module")
def declared() -> tuple[topics.Topic, ...]:
    registry.discover()  # the stages declare their dead-letter topics
    return topics.declared()


def test_topic_names_are_unique_and_namespaced(declared):
    names = [t.name for t in declared]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"darkroom(\.[a-z]+)+", name) for name in names)


def test_every_topic_says_what_its_key_holds(declared):
    assert all(t.key and t.description for t in declared)


def test_every_stage_has_its_own_declared_dead_letter_topic(declared):
    stages = registry.discover()
    assert stages, "no stage found in the streams package"
    for name, stage in stages.items():
        assert stage.dead_letters == topics.dead_letter_topic(name) and stage.dead_letters in declared


def test_one_name_is_never_two_topics():
    with pytest.raises(ValueError, match="already declared differently"):
        topics.declare(topics.Topic(topics.IMAGE_UPLOADED.name, "owner", "something else"))
