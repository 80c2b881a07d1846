"""Readable default run names (``brave-otter-417``), so runs are easy to tell apart."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber",
    "bold",
    "brave",
    "bright",
    "calm",
    "clever",
    "crisp",
    "eager",
    "fair",
    "gentle",
    "glad",
    "keen",
    "lively",
    "lucid",
    "merry",
    "nimble",
    "noble",
    "quick",
    "quiet",
    "rapid",
    "sharp",
    "steady",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "wise",
    "witty",
    "zesty",
)
_NOUNS = (
    "badger",
    "crane",
    "dolphin",
    "falcon",
    "fox",
    "gecko",
    "heron",
    "ibis",
    "jaguar",
    "koala",
    "lark",
    "lynx",
    "marten",
    "newt",
    "otter",
    "owl",
    "panda",
    "quail",
    "raven",
    "robin",
    "seal",
    "sparrow",
    "stoat",
    "tapir",
    "tern",
    "viper",
    "walrus",
    "wolf",
    "wren",
    "yak",
)


def random_run_name(rng: random.Random | None = None) -> str:
    chooser = rng or random.SystemRandom()
    return f"{chooser.choice(_ADJECTIVES)}-{chooser.choice(_NOUNS)}-{chooser.randint(100, 999)}"
