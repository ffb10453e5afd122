"""ImageNet-1k classes mapped to Darkroom's readable tag vocabulary.

No package reachable here ships the ImageNet (WordNet) hierarchy for offline
use (nltk's WordNet and `wn` download their data at run time), so the mapping
is written by hand. ImageNet-1k orders its classes by that hierarchy, so most
of it is ranges of class indices (all dogs are 151-268); objects are listed
one by one, and only the common ones: a class with no tag yields labels only.

A tag's confidence is the summed probability of every class that maps to it
(a photo split between "tabby" and "tiger cat" is still surely a cat).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_R = range


def _table() -> dict[int, tuple[str, ...]]:
    rows: list[tuple[Iterable[int], tuple[str, ...]]] = [
        # Animals, by the hierarchy's ranges.
        (_R(0, 7), ("fish", "animal")),
        (_R(7, 25), ("bird", "animal")),
        (_R(25, 33), ("amphibian", "animal")),
        (_R(33, 69), ("reptile", "animal")),
        (_R(69, 80), ("animal",)),  # trilobite, spiders, ticks, centipede
        (_R(80, 101), ("bird", "animal")),
        (_R(101, 107), ("animal",)),  # elephant, echidna, platypus, wallaby, koala, wombat
        (_R(107, 127), ("sea life", "animal")),  # jellyfish, corals, molluscs, crabs, lobsters
        (_R(127, 147), ("bird", "animal")),
        (_R(147, 151), ("sea life", "animal")),  # whales, dugong, sea lion
        (_R(151, 269), ("dog", "animal")),
        (_R(269, 281), ("wildlife", "animal")),  # wolves, foxes, hyena
        (_R(281, 286), ("cat", "animal")),
        (_R(286, 294), ("big cat", "wildlife", "animal")),
        (_R(294, 298), ("bear", "wildlife", "animal")),
        (_R(298, 300), ("wildlife", "animal")),
        (_R(300, 327), ("insect", "animal")),
        (_R(327, 330), ("sea life", "animal")),
        (_R(330, 339), ("animal",)),  # rabbits, rodents
        ([339], ("horse", "animal")),
        (_R(340, 365), ("animal",)),  # zebra, pigs, cattle, sheep, camels, weasels
        (_R(365, 385), ("monkey", "animal")),
        (_R(385, 389), ("wildlife", "animal")),  # elephants, pandas
        (_R(389, 398), ("fish", "animal")),
        # Food and drink.
        (_R(924, 936), ("food",)),
        (_R(936, 947), ("vegetable", "food")),
        (_R(948, 958), ("fruit", "food")),
        (_R(959, 966), ("food",)),
        ([966, 907, 440, 441], ("alcohol", "drink")),  # red wine, wine bottle, beer bottle, beer glass
        ([967, 968, 504, 969], ("coffee", "drink")),  # espresso, cup, coffee mug, eggnog
        ([737, 898], ("drink",)),  # pop bottle, water bottle
        # Places and nature.
        ([970, 979, 980, 972, 976], ("mountain", "landscape", "nature")),
        ([975], ("lake", "water", "landscape", "nature")),
        ([977, 978], ("beach", "water", "landscape", "nature")),
        ([973, 974], ("landscape", "nature")),
        ([984, 985, 986], ("flower", "plant", "nature")),
        (_R(991, 998), ("mushroom", "nature")),
        ([947], ("mushroom", "food")),
        ([981, 982, 983], ("person",)),  # ballplayer, groom, scuba diver
        # Vehicles.
        ([407, 436, 468, 511, 609, 627, 656, 661, 717, 751, 817], ("car", "vehicle")),
        ([555, 569, 675, 734, 864, 867], ("truck", "vehicle")),
        ([654, 779, 874], ("bus", "vehicle")),
        ([444, 671], ("bicycle", "vehicle")),
        ([665, 670], ("motorcycle", "vehicle")),
        ([466, 547, 565, 705, 820, 829], ("train", "vehicle")),
        ([404, 405, 895], ("aircraft", "vehicle")),
        ([403, 472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 914], ("boat", "vehicle")),
        # Buildings and structures.
        ([425, 449, 483, 497, 498, 500, 538, 580, 663, 668, 698, 727, 832], ("building", "architecture")),
        ([821, 839, 888], ("bridge", "architecture")),
        ([437], ("lighthouse", "architecture")),
        # Things.
        ([487, 527, 590, 620, 664, 681, 782, 851, 508, 673], ("computer", "electronics")),
        ([401, 402, 420, 486, 513, 541, 546, 558, 566, 579, 593, 594, 641, 642, 683, 684, 699, 776,
          822, 875, 881, 889], ("musical instrument", "music")),
        ([423, 453, 493, 495, 516, 520, 526, 532, 559, 564, 703, 736, 765, 831, 857], ("furniture",)),
        ([429, 430, 522, 574, 768, 805, 852, 890], ("ball", "sport")),
        ([409, 530, 892], ("clock",)),
    ]
    table: dict[int, tuple[str, ...]] = {}
    for indices, tags in rows:
        for index in indices:
            table[index] = tuple(dict.fromkeys(table.get(index, ()) + tags))
    return table


TAGS_OF_CLASS: dict[int, tuple[str, ...]] = _table()


def tag_confidences(probabilities: np.ndarray) -> list[tuple[str, float]]:
    """Every vocabulary tag with the summed probability of its classes, best first."""
    sums: dict[str, float] = {}
    for index, tags in TAGS_OF_CLASS.items():
        for tag in tags:
            sums[tag] = sums.get(tag, 0.0) + float(probabilities[index])
    return sorted(((t, min(c, 1.0)) for t, c in sums.items()), key=lambda tc: (-tc[1], tc[0]))
