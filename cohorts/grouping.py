"""Form small interprofessional groups: a pure function, with no database access.

Start from a round-robin deal by profession (which already spreads professions), then swap
pairs of people between groups while a swap strictly improves, in this order of priority:
the number of distinct professions per group, then of distinct levels, then fewer pairs of
colleagues from the same organisation. Swaps keep sizes, and the first criterion never
decreases, so the result is never less mixed than the round-robin it starts from.
The seed only shuffles people within a profession: same input and seed, same groups.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

MAX_PASSES = 30
RESTARTS = 5


@dataclass(frozen=True)
class Member:
    id: int
    profession: str
    level: str = ""
    organisation: str = ""


def group_count(total: int, size: int) -> int:
    """How many groups of at most `size` people hold `total` people (at least one)."""
    return max(1, math.ceil(total / max(1, size)))


def round_robin(members: list[Member], groups: int) -> list[list[Member]]:
    """The simple baseline: people sorted by profession, dealt to the groups in turn."""
    dealt: list[list[Member]] = [[] for _ in range(groups)]
    for i, member in enumerate(sorted(members, key=lambda m: (m.profession, m.id))):
        dealt[i % groups].append(member)
    return dealt


def profession_mix(groups: list[list[Member]]) -> int:
    """The mix measure the property tests compare: distinct professions summed over groups."""
    return sum(len({m.profession for m in group}) for group in groups)


class _Group:
    __slots__ = ("members", "professions", "levels", "organisations")

    def __init__(self, members: list[Member]):
        self.members = list(members)
        self.professions = Counter(m.profession for m in members)
        self.levels = Counter(m.level for m in members if m.level)
        self.organisations = Counter(m.organisation for m in members if m.organisation)

    def score(self) -> tuple[int, int, int]:
        same_org_pairs = sum(n * (n - 1) // 2 for n in self.organisations.values())
        return (
            sum(1 for n in self.professions.values() if n),
            sum(1 for n in self.levels.values() if n),
            -same_org_pairs,
        )

    def _move(self, member: Member, sign: int) -> None:
        self.professions[member.profession] += sign
        if member.level:
            self.levels[member.level] += sign
        if member.organisation:
            self.organisations[member.organisation] += sign

    def replace(self, out: Member, into: Member) -> None:
        self._move(out, -1)
        self._move(into, +1)


def _add(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


def _sub(a: tuple, b: tuple) -> tuple:
    return tuple(x - y for x, y in zip(a, b))


def _climb(ordered: list[Member], count: int) -> list[_Group]:
    """Deal `ordered` round-robin into `count` groups, then swap pairs while a swap strictly improves."""
    groups = [_Group(ordered[i::count]) for i in range(count)]
    zero = (0, 0, 0)
    for _pass in range(MAX_PASSES):
        improved = False
        for gi in range(count):
            for gj in range(gi + 1, count):
                a_group, b_group = groups[gi], groups[gj]
                for ai in range(len(a_group.members)):
                    for bi in range(len(b_group.members)):
                        a, b = a_group.members[ai], b_group.members[bi]
                        if (a.profession, a.level, a.organisation) == (b.profession, b.level, b.organisation):
                            continue
                        before = _add(a_group.score(), b_group.score())
                        a_group.replace(a, b)
                        b_group.replace(b, a)
                        delta = _sub(_add(a_group.score(), b_group.score()), before)
                        if delta > zero:
                            a_group.members[ai], b_group.members[bi] = b, a
                            improved = True
                        else:
                            a_group.replace(b, a)
                            b_group.replace(a, b)
        if not improved:
            break
    return groups


def _total(groups: list[_Group]) -> tuple:
    total = (0, 0, 0)
    for group in groups:
        total = _add(total, group.score())
    return total


def form_groups(members: list[Member], *, size: int, seed: int = 0, restarts: int = RESTARTS) -> list[list[int]]:
    """Split `members` into groups of at most `size` whose sizes differ by at most one;
    returns the member ids of each group.

    Pair swaps can stall in a local optimum, so the climb restarts from a few shuffles
    (drawn from `seed`) and keeps the best result."""
    if not members:
        return []
    rng = random.Random(seed)
    by_profession: dict[str, list[Member]] = {}
    for member in sorted(members, key=lambda m: m.id):
        by_profession.setdefault(member.profession, []).append(member)
    count = group_count(len(members), size)
    best: list[_Group] | None = None
    for _attempt in range(max(1, restarts)):
        ordered: list[Member] = []
        for profession in sorted(by_profession):
            people = list(by_profession[profession])
            rng.shuffle(people)
            ordered.extend(people)
        groups = _climb(ordered, count)
        if best is None or _total(groups) > _total(best):
            best = groups
        if _total(best)[2] == 0:  # no colleagues share a group: restarts would only reshuffle
            break
    return [sorted(m.id for m in group.members) for group in best]
