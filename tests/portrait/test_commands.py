"""``cbec portrait`` from a terminal, and the evaluation on a simulated day."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.cli import app
from tests.officers.factories import PASSWORD, staff
from tests.portrait.conftest import PLATFORM, SELLER, Client, send

runner = CliRunner()


def cbec(*args: str, password: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=f"{password}\n" if password else None)


def test_verify_rate_publish_and_emergency_from_a_terminal(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session], store_env: None
) -> None:
    send(make_client(), filed, 1)
    staff(db, ana=["risk_analyst"], rev=["reviewer"])
    assert "dishonest" in cbec("portrait", "classes").stdout
    signed = ("--officer", "ana", "--password-stdin")
    bad = cbec("portrait", "check", "add", PLATFORM, "--check", "buy", "--result", "maybe",
               "--evidence", "x", *signed, password=PASSWORD)  # fmt: skip
    assert bad.exit_code == 1
    assert "result: " in bad.stderr
    assert "[literal_error]" in bad.stderr
    refused = cbec("portrait", "check", "add", PLATFORM, "--check", "buy", "--result", "fail",
                   "--evidence", "no checkout", "--officer", "rev", "--password-stdin",
                   password=PASSWORD)  # fmt: skip
    assert refused.exit_code == 1
    assert "investigator or risk_analyst" in refused.stderr
    added = cbec("portrait", "check", "add", PLATFORM, "--check", "buy", "--result", "fail",
                 "--evidence", "no checkout", "--date", "2026-11-12", *signed,
                 password=PASSWORD)  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert "is now failed" in added.stdout
    listed = cbec("portrait", "check", "list", PLATFORM, "--json")
    assert json.loads(listed.stdout)["flagged"] is True

    proposal = cbec("portrait", "rate", "--json")
    assert proposal.exit_code == 0, proposal.stderr
    rating = json.loads(proposal.stdout)
    proposed = {i["enterpriseCode"]: i["proposedClass"] for i in rating["items"]}
    assert proposed[PLATFORM] == "D"
    published = cbec("portrait", "publish", str(rating["id"]), "--reason", "reviewed",
                      "--override", f"{SELLER}=C", *signed, password=PASSWORD)  # fmt: skip
    assert published.exit_code == 0, published.stderr
    shown = json.loads(cbec("portrait", "show", SELLER, "--json").stdout)
    assert shown["classInForce"]["classCode"] == "C"
    assert shown["facts"]["lists"] == 1

    emergency = cbec("portrait", "emergency", SELLER, "D", "--reason", "case 9", *signed,
                     password=PASSWORD)  # fmt: skip
    assert emergency.exit_code == 0, emergency.stderr
    table = cbec("portrait", "show", SELLER).stdout
    assert "D (in force)" in table
    assert "case 9" in table
    again = cbec("portrait", "publish", str(rating["id"]), "--reason", "x", *signed,
                 password=PASSWORD)  # fmt: skip
    assert again.exit_code == 1
    assert "only a proposal" in again.stderr


def test_the_evaluation_puts_the_fake_platform_low_and_finds_more_per_inspection(
    tmp_path: Path,
) -> None:
    day = tmp_path / "day"
    made = cbec("sim", "--orders", "600", "--seed", "2", "--fraud-rate", "0.2", "--out", str(day))
    assert made.exit_code == 0, made.stderr
    result = cbec("portrait", "evaluate", "--dir", str(day), "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    labels = json.loads((day / "labels.json").read_text("utf-8"))
    assert set(out["labelled"]) == set(labels["enterprises"])
    assert {v["class"] for v in out["labelled"].values()} <= {"C", "D"}
    assert set(out["accomplices"].values()) <= {"C", "D"}
    honest = out["honestClasses"]
    assert honest["A"] + honest["B"] > 5 * (honest["C"] + honest["D"])
    by_class, flat = out["byClass"], out["flat"]
    assert by_class["lists"] == flat["lists"] > 0
    assert by_class["seized"] > flat["seized"]
    assert by_class["expectedInspectionsPerSeizure"] < flat["expectedInspectionsPerSeizure"] / 2
    # the fake platform's catalogue lacks what it clears; its sellers' tax is overdue
    gaps = {n.split()[1] for n in out["notes"] if n.startswith("catalogue: ")}
    fake = next(c for c, p in labels["enterprises"].items() if "fake_platform" in p and c in gaps)
    assert out["labelled"][fake]["class"] == "D"
    tax = json.loads((day / "tax.json").read_text("utf-8"))["guarantees"]
    unpaid = [c for c, g in tax.items() if g["story"] == "fake_platform"]
    assert unpaid
    assert set(unpaid) <= set(out["accomplices"])
    assert {out["accomplices"][c] for c in unpaid} == {"D"}
    assert any(n.startswith("tax: ") and "overdue" in n for n in out["notes"])
    # honest platforms' catalogues cover what they clear
    assert [n for n in out["notes"] if n.startswith("catalogue: ")] == [
        n for n in out["notes"] if n.startswith(f"catalogue: {fake} ")
    ]
    missing = cbec("portrait", "evaluate", "--dir", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    assert "[exists]" in missing.stderr
