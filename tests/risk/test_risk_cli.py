"""``cbec risk`` from a terminal: validate, create, publish (as a signed-in analyst),
backtest, features for training, control instructions, cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.clearance.service import Clearance
from cbec.cli import app
from tests.officers.factories import PASSWORD, staff
from tests.risk.conftest import AGENT, BUYER, Traffic, declaration

runner = CliRunner()


def cbec(*args: str, password: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=f"{password}\n" if password else None)


def test_the_analyst_workflow_from_a_terminal(
    traffic: Traffic, db: sessionmaker[Session], store_env: None, tmp_path: Path
) -> None:
    staff(db, chen_jing=["risk_analyst"], li_wei=["reviewer"])
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "name": "x",
                "rules": [{"name": "a", "when": {"<": [{"feature": "nope"}, 1]}, "action": "xray"}],
            }
        ),
        encoding="utf-8",
    )
    checked = cbec("risk", "rules", "validate", str(bad))
    assert checked.exit_code == 1
    assert "rules[0]/when/<[0]/feature" in checked.stderr
    assert "[unknown_feature]" in checked.stderr

    good = tmp_path / "rules.json"
    good.write_text(
        json.dumps(
            {
                "name": "value watch",
                "rules": [
                    {
                        "name": "high",
                        "when": {">": [{"field": "taxable_value"}, 1000]},
                        "action": "xray",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert cbec("risk", "rules", "validate", str(good)).exit_code == 0
    unfiled = tmp_path / "unfiled.json"
    scoped = json.loads(good.read_text(encoding="utf-8"))
    scoped["rules"][0]["scope"] = {"enterprises": [AGENT, "44019600O1"]}
    unfiled.write_text(json.dumps(scoped), encoding="utf-8")
    problem = (
        "error: rules[0]/scope/enterprises[1]: no enterprise with the customs code "
        "'44019600O1' is filed [filed]\n"
    )
    for args in (
        ("validate", str(unfiled)),
        ("create", str(unfiled), "--officer", "chen.jing", "--password-stdin"),
    ):
        checked = cbec("risk", "rules", *args, password=PASSWORD)
        assert (checked.exit_code, checked.stderr) == (1, problem), checked.output
    refused = cbec(
        "risk", "rules", "create", str(good), "--officer", "li.wei", "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "risk_analyst" in refused.stderr
    created = cbec(
        "risk", "rules", "create", str(good), "--officer", "chen.jing", "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert created.stdout.startswith("draft ")
    rule_set_id = created.stdout.split()[1]

    traffic.send(1, price="600.00")
    traffic.send(2)
    backtest = cbec("risk", "rules", "backtest", rule_set_id, "--json")
    assert backtest.exit_code == 0, backtest.output
    figures = json.loads(backtest.stdout)
    assert (figures["lists"], figures["hits"], figures["rules"][0]["hits"]) == (2, 1, 1)
    backwards = cbec(
        "risk", "rules", "backtest", rule_set_id, "--since", "2026-12-01", "--until", "2026-11-01"
    )
    assert (backwards.exit_code, backwards.stdout) == (1, "")
    assert backwards.stderr == (
        "error: --until: the backtest must end on or after its first day (2026-12-01) [after]\n"
    )

    published = cbec(
        "risk", "rules", "publish", rule_set_id, "--officer", "chen.jing", "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    assert published.exit_code == 0, published.output
    traffic.send(3, price="600.00")
    assert declaration(db, 3).status == 500
    hits = cbec("risk", "rules", "hits", "--json")
    assert [h["ruleName"] for h in json.loads(hits.stdout)] == ["high"]
    listed = cbec("risk", "rules", "list")
    assert "value watch" in listed.stdout
    assert "published" in listed.stdout

    out = tmp_path / "features.csv"
    written = cbec("risk", "features", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert "3 list(s) written" in written.stdout
    assert cbec("risk", "features", "--out", str(tmp_path / "f.txt")).exit_code == 1
    reversed_span = cbec(
        "risk", "features", "--out", str(tmp_path / "none.csv"),
        "--since", "2026-11-12", "--until", "2026-11-10",
    )  # fmt: skip
    assert reversed_span.exit_code == 1
    assert "--until" in reversed_span.stderr
    assert "[after]" in reversed_span.stderr
    assert not (tmp_path / "none.csv").exists()
    parquet = tmp_path / "features.parquet"
    assert cbec("risk", "features", "--out", str(parquet)).exit_code == 0
    frame = polars.read_parquet(parquet)
    assert frame.height == 3
    assert frame["buyer_lists_1d"].to_list() == [1.0, 2.0, 3.0]


def test_instructions_and_cases_from_a_terminal(
    make_client: Any, filed: dict[str, str], db: sessionmaker[Session], store_env: None
) -> None:
    traffic = Traffic(make_client(review_rate=1.0), filed)
    staff(db, chen_jing=["risk_analyst"], zhao_lei=["investigator"])
    traffic.send(1)
    issued = cbec(
        "risk", "instructions", "issue", "--target-kind", "buyer", "--value", BUYER,
        "--action", "open_inspection", "--reason", "tip-off", "--officer", "chen.jing",
        "--password-stdin", password=PASSWORD,
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    assert f"1 list(s) re-decided: {declaration(db, 1).invt_no}" in issued.stdout
    assert declaration(db, 1).status == 500
    listed = cbec("risk", "instructions", "list", "--json")
    assert json.loads(listed.stdout)[0]["targetValue"] == "110*************2X"
    wrong = cbec(
        "risk", "instructions", "issue", "--target-kind", "hs_code", "--value", "19x",
        "--action", "hold", "--reason", "r", "--officer", "chen.jing", "--password-stdin",
        password=PASSWORD,
    )  # fmt: skip
    assert wrong.exit_code == 1
    assert "2 to 10 digits" in wrong.stderr

    with db() as s:
        invt_no = declaration(db, 1).invt_no
        assert invt_no is not None
        Clearance(s).inspection_result(invt_no, result="seize", officer="x", details="ivory")
        s.commit()
    cases = json.loads(cbec("risk", "cases", "list", "--json").stdout)
    assert [c["status"] for c in cases] == ["open"]
    case_id = str(cases[0]["id"])
    for step in (
        ("assign", case_id, "zhao.lei"),
        ("investigate", case_id),
        ("close", case_id, "--outcome", "confirmed", "--note", "ivory carvings"),
    ):
        done = cbec(
            "risk", "cases", *step, "--officer", "zhao.lei", "--password-stdin", password=PASSWORD
        )
        assert done.exit_code == 0, done.output
    shown = json.loads(cbec("risk", "cases", "show", case_id).stdout)
    assert (shown["status"], shown["outcome"], shown["assignee"]) == (
        "closed",
        "confirmed",
        "zhao.lei",
    )


@pytest.mark.parametrize(
    ("args", "option", "allowed"),
    [
        (["rules", "hits", "--mode", "bogus"], "--mode", ["live", "shadow"]),
        (["rules", "list", "--status", "bogus"], "--status", ["draft", "published", "retired"]),
        (["instructions", "list", "--status", "bogus"], "--status", ["active", "lifted"]),
        (["cases", "list", "--status", "bogus"], "--status", ["open", "investigating", "closed"]),
    ],
)
def test_a_filter_of_an_unknown_value_is_one_line_not_an_empty_table(
    store_env: None, args: list[str], option: str, allowed: list[str]
) -> None:
    refused = cbec("risk", *args)
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: {option}: 'bogus' is not one of {', '.join(allowed)} "
        f"[enumeration={'|'.join(allowed)}]\n"
    )
    known = cbec("risk", *args[:-1], allowed[0])
    assert known.exit_code == 0, known.output


def test_an_instruction_is_refused_in_one_line_naming_the_option(
    traffic: Traffic, db: sessionmaker[Session], store_env: None
) -> None:
    staff(db, chen_jing=["risk_analyst"])

    def issue(kind: str, value: str) -> Any:
        return cbec(
            "risk", "instructions", "issue", "--target-kind", kind, "--value", value,
            "--action", "xray", "--reason", "tip-off", "--officer", "chen.jing",
            "--password-stdin", password=PASSWORD,
        )  # fmt: skip

    unfiled = issue("enterprise", "4401969999")
    assert unfiled.exit_code == 1
    assert unfiled.stderr == (
        "error: --value: no enterprise with the customs code '4401969999' is filed [filed]\n"
    )
    unknown = issue("shop", "x")
    assert unknown.exit_code == 1
    [line] = unknown.stderr.splitlines()
    assert line.startswith("error: --target-kind: Input should be 'enterprise', ")
    assert line.endswith("[literal_error]")
    assert json.loads(cbec("risk", "instructions", "list", "--json").stdout) == []
    assert issue("enterprise", AGENT).exit_code == 0


def test_a_list_decided_again_from_the_terminal_meets_the_published_rules(
    traffic: Traffic,
    db: sessionmaker[Session],
    store_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`cbec clearance recheck` (after a catalogue load, or a list whose decision failed)
    decides as clearance does on arrival, risk rules included: a list the published rule
    sends to inspection is not released (before, recheck decided without risk control)."""
    import logging

    from cbec.clearance import service as clearance_service

    staff(db, chen_jing=["risk_analyst"])
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            {
                "name": "value watch",
                "rules": [
                    {
                        "name": "high",
                        "when": {">": [{"field": "taxable_value"}, 1000]},
                        "action": "xray",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    login = ("--officer", "chen.jing", "--password-stdin")
    created = cbec("risk", "rules", "create", str(rules), *login, password=PASSWORD)
    assert created.exit_code == 0, created.output
    rule_set_id = created.stdout.split()[1]
    published = cbec("risk", "rules", "publish", rule_set_id, *login, password=PASSWORD)
    assert published.exit_code == 0, published.output

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug while deciding")

    monkeypatch.setattr(clearance_service, "decide", broken)
    logging.getLogger("cbec.clearance").disabled = True
    try:
        traffic.send(1, price="600.00")  # accepted; its decision failed: it waits
    finally:
        logging.getLogger("cbec.clearance").disabled = False
    assert declaration(db, 1).awaiting is True
    monkeypatch.undo()
    rechecked = cbec("clearance", "recheck")
    assert rechecked.exit_code == 0, rechecked.output
    assert "1 undecided list(s) evaluated again" in rechecked.stdout
    assert declaration(db, 1).status == 500
    hits = cbec("risk", "rules", "hits", "--json")
    assert [h["ruleName"] for h in json.loads(hits.stdout)] == ["high"]
