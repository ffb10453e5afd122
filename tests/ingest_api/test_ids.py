"""Image ids: time-ordered text, so newest-first listings can sort on them."""

from __future__ import annotations

import random
import time

from ingest_api import ids


def test_an_id_is_26_crockford_characters_that_carry_its_time():
    before = int(time.time() * 1000)
    image_id = ids.new_id()
    after = int(time.time() * 1000)
    assert len(image_id) == 26 and ids.is_valid(image_id)
    assert set(image_id) <= set(ids.ALPHABET)
    assert before <= ids.timestamp_ms(image_id) <= after


def test_text_order_is_time_order():
    stamps = sorted(random.sample(range(1, 2**48), 200))
    new_id = ids.IdGenerator()
    made = [new_id(now_ms=ms) for ms in stamps]
    assert sorted(made) == made
    assert [ids.timestamp_ms(i) for i in made] == stamps


def test_ids_made_in_the_same_millisecond_still_increase():
    now, new_id = int(time.time() * 1000), ids.IdGenerator()
    made = [new_id(now_ms=now) for _ in range(1000)]
    assert sorted(made) == made and len(set(made)) == 1000
    assert {ids.timestamp_ms(i) for i in made} == {now}


def test_a_clock_that_steps_back_does_not_break_the_order():
    new_id = ids.IdGenerator()
    first = new_id(now_ms=int(time.time() * 1000))
    assert new_id(now_ms=1) > first


def test_ids_not_made_here_are_not_valid():
    assert not ids.is_valid("")
    assert not ids.is_valid("01J9Z3K7" + "I" * 18)  # I is not in Crockford's alphabet
    assert not ids.is_valid("8" + "0" * 25)  # more than 48 bits of time
    assert not ids.is_valid(ids.new_id().lower())
