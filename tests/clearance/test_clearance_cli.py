"""The officer's terminal: queues, review with password check, the sweep, the ledger."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from cbec.cli import app
from cbec.config import get_settings
from cbec.store.models import Declaration
from tests.clearance.test_clearance_flow import AGENT, all_four, list_receipts, send
from tests.intake.conftest import auth, inventory
from tests.officers.factories import PASSWORD, login, staff

runner = CliRunner()


def test_review_from_the_terminal_checks_password_and_role(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    store_env: None,
) -> None:
    client = make_client(review_rate=1.0)
    send(client, filed, *all_four())
    with db() as s:
        invt_no = s.scalars(select(Declaration.invt_no)).one()
    staff(db, li_wei=["reviewer"], wang_fang=["inspector"])
    queue = runner.invoke(app, ["clearance", "queue", "--status", "300"])
    assert queue.exit_code == 0, queue.output
    assert str(invt_no) in queue.stdout
    wrong = runner.invoke(
        app,
        [
            "clearance",
            "review",
            str(invt_no),
            "--officer",
            "li.wei",
            "--approve",
            "--reason",
            "ok",
            "--password-stdin",
        ],
        input="not the password\n",
    )
    assert wrong.exit_code == 1
    not_reviewer = runner.invoke(
        app,
        [
            "clearance",
            "review",
            str(invt_no),
            "--officer",
            "wang.fang",
            "--approve",
            "--reason",
            "ok",
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n",
    )
    assert not_reviewer.exit_code == 1
    assert "reviewer" in not_reviewer.stderr
    done = runner.invoke(
        app,
        [
            "clearance",
            "review",
            str(invt_no),
            "--officer",
            "li.wei",
            "--approve",
            "--reason",
            "invoice checked",
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n",
    )
    assert done.exit_code == 0, done.output
    assert "now 800" in done.stdout
    shown = runner.invoke(app, ["clearance", "show", str(invt_no)])
    assert "li.wei" in shown.stdout
    ledger = runner.invoke(app, ["clearance", "ledger", "--ebc", "4401960002"])
    assert "36.22" in ledger.stdout


def test_a_detention_ended_from_the_terminal(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    store_env: None,
) -> None:
    client = make_client(inspection_rate=1.0)
    send(client, filed, *all_four())
    with db() as s:
        invt_no = str(s.scalars(select(Declaration.invt_no)).one())
    staff(db, wang_fang=["inspector"], zhao_lei=["investigator"])
    seized = client.post(
        f"/api/v1/declarations/{invt_no}/inspection",
        json={"result": "seize", "details": "counterfeit"},
        headers=login(client, "wang.fang"),
    )
    assert seized.json()["status"] == 502

    def end(officer: str) -> Result:
        return runner.invoke(
            app,
            ["clearance", "detention", invt_no, "--officer", officer, "--return",
             "--reason", "counterfeit confirmed", "--password-stdin"],
            input=f"{PASSWORD}\n",
        )  # fmt: skip

    refused = end("wang.fang")
    assert refused.exit_code == 1
    assert "investigator" in refused.stderr
    done = end("zhao.lei")
    assert done.exit_code == 0, done.output
    assert "now 700" in done.stdout
    assert [status for status, _ in list_receipts(client, filed)][-1] == 700


def test_failed_sign_ins_at_the_terminal_count_towards_the_lock(
    db: sessionmaker[Session], store_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CBEC_OFFICER_SIGNIN_ATTEMPTS", "2")
    get_settings.cache_clear()
    staff(db, li_wei=["reviewer"])

    def review(password: str) -> Result:
        return runner.invoke(
            app,
            [
                *("clearance", "review", "I000", "--officer", "li.wei", "--approve"),
                *("--reason", "ok", "--password-stdin"),
            ],
            input=f"{password}\n",
        )

    assert [review("not the password").exit_code for _ in range(2)] == [1, 1]
    locked = review(PASSWORD)

    assert locked.exit_code == 1
    assert "too many failed logins as 'li.wei': try again in" in locked.stderr


def test_sweep_rejects_lists_whose_documents_never_came(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    store_env: None,
) -> None:
    client = make_client()
    send(client, filed, (AGENT, inventory()))
    kept = runner.invoke(app, ["clearance", "sweep"])  # within the default 24 hours
    assert "0 list(s) rejected" in kept.stdout
    swept = runner.invoke(app, ["clearance", "sweep", "--older-than", "0"])
    assert swept.exit_code == 0, swept.output
    assert "1 list(s) rejected" in swept.stdout
    status, info = list_receipts(client, filed)[-1]
    assert status == 100
    assert "C01.missing" in info
    assert "order (CEB311), payment (CEB411), waybill (CEB511)" in info


def test_an_enterprises_own_rates_decide_its_sampling(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    store_env: None,
) -> None:
    bad = runner.invoke(app, ["registry", "rates", "4401960002", "--inspection", "1.5"])
    assert bad.exit_code == 1
    assert "inspection" in bad.stderr
    done = runner.invoke(app, ["registry", "rates", "4401960002", "--inspection", "1"])
    assert done.exit_code == 0, done.output
    client = make_client()  # default rates 0: only the enterprise's own rate applies
    send(client, filed, *all_four())
    with db() as s:
        assert s.scalars(select(Declaration.status)).one() == 500


@pytest.mark.parametrize("period", ["abc", "202613", "202600", "2026-11", ""])
def test_a_ledger_period_that_is_not_a_month_is_refused(
    make_client: Callable[..., TestClient],
    filed: dict[str, str],
    db: sessionmaker[Session],
    store_env: None,
    period: str,
) -> None:
    client = make_client()
    send(client, filed, *all_four())
    refused = runner.invoke(app, ["clearance", "ledger", "--period", period])
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: period: {period!r} is not a month yyyymm (month 01..12) [format=yyyymm]\n"
    )
    staff(db, tax=["reviewer"])
    officer = login(client, "tax")
    for url, headers in (
        ("/api/v1/tax/ledger", officer),
        ("/api/v1/tax/my-ledger", auth(filed["4401960002"])),
    ):
        answer = client.get(url, params={"period": period}, headers=headers)
        assert answer.status_code in (400, 422), answer.text
        assert [f["path"].removeprefix("query/") for f in answer.json()["fields"]] == ["period"]


def test_the_ledger_of_a_month(
    make_client: Callable[..., TestClient], filed: dict[str, str], store_env: None
) -> None:
    client = make_client()
    send(client, filed, *all_four())
    [row] = client.get("/api/v1/tax/my-ledger", headers=auth(filed["4401960002"])).json()
    shown = runner.invoke(app, ["clearance", "ledger", "--period", row["period"]])
    assert shown.exit_code == 0, shown.output
    assert "36.22" in shown.stdout
