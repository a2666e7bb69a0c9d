"""The quality report on a day with known fraud: precision and recall of the selection."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.risk import quality, service
from cbec.risk.schemas import RuleSetIn
from tests.risk.conftest import Traffic, declaration, resident_id


def test_precision_and_recall_of_the_selection_against_the_labels(
    traffic: Traffic, db: sessionmaker[Session]
) -> None:
    with db() as s:
        rules = RuleSetIn.model_validate(
            {
                "name": "value",
                "rules": [
                    {
                        "name": "high",
                        "when": {">": [{"field": "taxable_value"}, 1000]},
                        "action": "xray",
                    }
                ],
            }
        )
        rule_set = service.create_rule_set(s, rules, by=Actor.system("test"))
        service.publish(s, rule_set.id, by=Actor.system("test"))
        s.commit()
    traffic.send(1, price="600.00")  # fraud, caught by the rule
    traffic.send(2)  # fraud, released
    traffic.send(3, price="600.00", buyer=resident_id(3))  # honest, inspected
    traffic.send(4, buyer=resident_id(4))  # honest, released
    traffic.send(5, payer=resident_id(5))  # fraud, rejected by C02.buyer
    orders = {declaration(db, n).order_no: ["undervalued"] for n in (1, 2)}
    orders[declaration(db, 5).order_no] = ["buyer_not_payer"]
    with db() as s:
        found = quality.evaluate(s, {"orders": orders})
    assert (found.all.lists, found.fraud.lists, found.all.rejected) == (5, 3, 1)
    assert (found.all.selected, found.all.by_rules, found.fraud.selected) == (2, 2, 1)
    assert (found.precision, found.recall, found.inspection_rate) == (0.5, 0.5, 0.5)
    assert (found.rules_precision, found.rules_recall) == (0.5, 0.5)
    assert found.stopped_recall == 2 / 3
    report = found.as_dict()
    assert report["patterns"]["undervalued"] == {
        "lists": 2,
        "rejected": 0,
        "selected": 1,
        "byRules": 1,
        "reviewed": 0,
        "released": 1,
    }
    assert report["patterns"]["buyer_not_payer"]["rejected"] == 1
