"""The rules live traffic is judged by: published sets, and drafts running in the shadow.

Compiled once per process and reused while the store says nothing changed: each list costs
one small query (the ids, statuses and revisions of the live sets), so that a rule
published by one API worker reaches the next list every other worker decides.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cbec.risk import repository
from cbec.risk.realtime import Signature
from cbec.risk.rules import CompiledRule, Scope, compile_rule
from cbec.store.models import Rule


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Compiled rules: ``live`` decide, ``shadow`` are only recorded."""

    live: tuple[CompiledRule, ...] = ()
    shadow: tuple[CompiledRule, ...] = ()


def compiled(rule: Rule, rule_set_name: str = "") -> CompiledRule:
    """A stored rule, compiled (it was validated when stored)."""
    return compile_rule(
        rule.name,
        json.loads(rule.expression),
        rule.action,
        score=rule.score,
        description=rule.description,
        scope=Scope.from_json(json.loads(rule.scope or "{}")),
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        rule_set_id=rule.rule_set_id,
        rule_set_name=rule_set_name,
    )


_lock = threading.Lock()
_books: dict[object, tuple[Signature, RuleBook]] = {}


def current(session: Session, signature: Signature | None = None) -> RuleBook:
    """The live and shadow rules as the store holds them now (``signature``: the live sets'
    ids, statuses and revisions when the caller has just read them)."""
    if signature is None:
        signature = repository.live_signature(session)
    key = session.get_bind()
    cached = _books.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    sets = {s.id: s for s in (repository.rule_set(session, i) for i, *_ in signature) if s}
    live: list[CompiledRule] = []
    shadow: list[CompiledRule] = []
    for rule in repository.rules_of(session, sorted(sets)):
        rule_set = sets[rule.rule_set_id]
        (live if rule_set.status == "published" else shadow).append(compiled(rule, rule_set.name))
    book = RuleBook(tuple(live), tuple(shadow))
    with _lock:
        _books[key] = (signature, book)
    return book
