"""An enterprise's portrait page shows its tax statements as a guarantee (overdue ones
marked) and what the automatic catalogue check found wanting, in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.clearance import statements
from cbec.store.models import TaxBill
from tests.officers.factories import staff
from tests.web.conftest import a_set, send, sign_in

SELLER, PLATFORM = "4401960002", "4401960001"


def test_the_portrait_page_shows_statements_and_catalogue_gaps(
    web: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    staff(db, ana=["risk_analyst"])
    client = web()
    sign_in(client, "ana")
    empty = client.get(f"/portraits/{SELLER}").text
    assert 'id="statements"' in empty
    assert "暂无税款汇总单" in empty
    send(client, filed, a_set(1))
    first = statements.today().replace(day=1)
    month = f"{first - timedelta(days=1):%Y-%m}"
    with db() as s:
        s.execute(update(TaxBill).values(period=month.replace("-", "")))
        made = statements.make(s, month, by=Actor.system("test"), due_days=0)
        s.commit()
        assert [r.guarantor_code for r in made.created] == [SELLER]
        due = made.due_on
    page = client.get(f"/portraits/{SELLER}").text
    table = page.split('id="statements"')[1].split("</table>")[0]
    assert month.replace("-", "") in table
    assert str(due) in table
    # due the day the month ended, unpaid: overdue (unless today is that day)
    assert ("逾期未缴" in table) == (statements.today() > due)
    # the platform filed no catalogue: the cleared goods are listed as absent
    platform = client.get(f"/portraits/{PLATFORM}").text
    examples = platform.split('id="examples-goods_not_in_catalogue"')[1].split("</table>")[0]
    assert "1901101010" in examples
    assert "HS code not filed" in examples
    client.cookies.set("lang", "en")
    english = client.get(f"/portraits/{SELLER}").text
    assert "Tax statements" in english
    assert "Days late" in english
    assert "税款汇总单" not in english
