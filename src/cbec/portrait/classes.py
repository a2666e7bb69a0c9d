"""The supervision classes and what each costs an enterprise's lists at clearance.

"Convenience for the honest, punishment for the dishonest": an advanced-certified
enterprise's lists are rarely reviewed or inspected, a dishonest one's nearly always (real
customs credit classes saw inspection rates of 0.57% and 84.76% in 2019). The rates are
stamped on the class row when a class is published, so changing them here changes only
classes published afterwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: business-site classes: goods in a bonded zone or site (1210/1239), or through a
#: direct-purchase supervision site (9610); mirrors :func:`cbec.clearance.classes.site_class`
SITE_CLASSES = ("bonded", "direct")


@dataclass(frozen=True, slots=True)
class SupervisionClass:
    code: str
    name: str
    #: shares of lists sent to manual review, X-rayed and opened (X-ray + open = inspected)
    review: float
    xray: float
    open: float
    #: most of the class's lists inspected at each business-site class (its capacity)
    caps: dict[str, float]
    #: the lowest portrait score of the class
    min_score: float
    #: rank: 0 is the best class
    rank: int

    @property
    def inspection(self) -> float:
        return self.xray + self.open

    def caps_json(self) -> str:
        return json.dumps(self.caps, sort_keys=True)


CLASSES: dict[str, SupervisionClass] = {
    c.code: c
    for c in (
        SupervisionClass(
            "A", "advanced certified", 0.005, 0.004, 0.001, {"bonded": 0.01, "direct": 0.01}, 90, 0
        ),
        SupervisionClass(
            "B", "general", 0.02, 0.025, 0.005, {"bonded": 0.05, "direct": 0.05}, 70, 1
        ),
        SupervisionClass(
            "C", "attention", 0.10, 0.15, 0.05, {"bonded": 0.30, "direct": 0.25}, 50, 2
        ),
        SupervisionClass(
            "D", "dishonest", 0.50, 0.45, 0.40, {"bonded": 0.90, "direct": 0.85}, float("-inf"), 3
        ),
    )
}

#: by rank, best first
ORDER = tuple(sorted(CLASSES, key=lambda c: CLASSES[c].rank))


def for_score(score: float) -> str:
    """The class a portrait score earns (before the rules that cap it).

    >>> for_score(95), for_score(70), for_score(50.0), for_score(12)
    ('A', 'B', 'C', 'D')
    """
    for code in ORDER:
        if score >= CLASSES[code].min_score:
            return code
    return ORDER[-1]


def worse(a: str, b: str) -> str:
    """The lower of two classes.

    >>> worse("A", "C"), worse("D", "B")
    ('C', 'D')
    """
    return a if CLASSES[a].rank >= CLASSES[b].rank else b
