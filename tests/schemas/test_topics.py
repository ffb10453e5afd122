import re

from schemas import topics


def test_topic_names_are_unique_and_namespaced():
    names = [t.name for t in topics.ALL]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"darkroom(\.[a-z]+)+", name) for name in names)


def test_every_topic_says_what_its_key_holds():
    assert all(t.key and t.description for t in topics.ALL)
