"""Product catalogues: filed, amended and withdrawn by the enterprise over the API with its
key, imported by customs from CSV or JSON, and read by platform verification."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.cli import app
from cbec.portrait import service, verification
from cbec.portrait.verification import Cleared, Filed
from cbec.store.models import AuditEntry, CatalogueItem
from tests.officers.factories import login, staff
from tests.portrait.conftest import (
    PAY,
    PLATFORM,
    SAMPLE_ITEM,
    SELLER,
    Client,
    file_catalogue,
    key,
    send,
)

URL = "/api/v1/catalogue/items"
CREAM = {
    "itemNo": "FC-JP-001",
    "goodsName": "日本进口保湿修护面霜 50g",
    "hsCode": "3304990099",
    "brand": "SAKURA",
    "spec": "50g/瓶",
}


def goods(item: dict[str, str], **changes: str) -> dict[str, str]:
    return {**{k: v for k, v in item.items() if k != "itemNo"}, **changes}


def test_an_enterprise_files_amends_and_withdraws_its_catalogue(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    platform = key(filed[PLATFORM])
    assert client.post(URL, json={"items": [CREAM]}).status_code == 401
    made = client.post(URL, json={"items": [SAMPLE_ITEM, CREAM]}, headers=platform)
    assert made.status_code == 201, made.text
    assert [i["itemNo"] for i in made.json()] == ["SKU-001", "FC-JP-001"]
    assert made.json()[0]["version"] == 1
    assert made.json()[0]["updatedBy"] == PLATFORM

    again = client.post(URL, json={"items": [CREAM]}, headers=platform)
    assert again.status_code == 409
    assert again.json()["fields"][0]["path"] == "items/0/itemNo"
    assert "amend it" in again.json()["fields"][0]["message"]
    twice = client.post(URL, json={"items": [{**CREAM, "itemNo": "X"}] * 2}, headers=platform)
    assert (twice.status_code, twice.json()["fields"][0]["path"]) == (400, "items/1/itemNo")

    amended = client.put(f"{URL}/FC-JP-001", json=goods(CREAM, hsCode="3304991000"),
                         headers=platform)  # fmt: skip
    assert amended.status_code == 200, amended.text
    assert (amended.json()["hsCode"], amended.json()["version"]) == ("3304991000", 2)
    with db() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "catalogue.amend")).one()
        assert entry.actor == PLATFORM
        assert json.loads(entry.details)["before"]["hs_code"] == "3304990099"

    gone = client.delete(f"{URL}/FC-JP-001", params={"reason": "discontinued"}, headers=platform)
    assert gone.status_code == 200, gone.text
    assert gone.json()["withdrawnOn"] is not None
    assert client.delete(f"{URL}/FC-JP-001", headers=platform).status_code == 409
    assert client.put(f"{URL}/FC-JP-001", json=goods(CREAM), headers=platform).status_code == 409
    assert client.put(f"{URL}/NOPE", json=goods(CREAM), headers=platform).status_code == 404
    assert [i["itemNo"] for i in client.get(URL, headers=platform).json()] == ["SKU-001"]
    every = client.get(URL, params={"withdrawn": "true"}, headers=platform).json()
    assert {i["itemNo"] for i in every} == {"SKU-001", "FC-JP-001"}
    # filed again: in force from today, the next version
    refiled = client.post(URL, json={"items": [CREAM]}, headers=platform)
    assert refiled.status_code == 201, refiled.text
    assert (refiled.json()[0]["withdrawnOn"], refiled.json()[0]["version"]) == (None, 3)

    # officers read it
    staff(db, ana=["risk_analyst"])
    analyst = login(client, "ana")
    read = client.get(f"/api/v1/portrait/enterprises/{PLATFORM}/catalogue", headers=analyst)
    assert read.status_code == 200
    assert {i["itemNo"] for i in read.json()} == {"SKU-001", "FC-JP-001"}
    assert client.get(f"/api/v1/portrait/enterprises/{PLATFORM}/catalogue").status_code == 401


def test_bad_items_and_wrong_filers_are_refused_with_the_field_and_rule(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    bad = client.post(
        URL,
        json={"items": [{**CREAM, "hsCode": "33049900"}, {**CREAM, "itemNo": " padded"}]},
        headers=key(filed[PLATFORM]),
    )
    assert bad.status_code == 422
    assert {(f["path"], f["rule"]) for f in bad.json()["fields"]} == {
        ("body/items/0/hsCode", "string_pattern_mismatch"),
        ("body/items/1/itemNo", "string_pattern_mismatch"),
    }
    assert client.post(URL, json={"items": []}, headers=key(filed[PLATFORM])).status_code == 422
    unknown = client.post(URL, json={"items": [{**CREAM, "colour": "red"}]},
                          headers=key(filed[PLATFORM]))  # fmt: skip
    assert unknown.json()["fields"][0]["path"] == "body/items/0/colour"
    # a payment company files no product catalogue
    payer = client.post(URL, json={"items": [CREAM]}, headers=key(filed[PAY]))
    assert payer.status_code == 403
    assert "platform or an e-commerce enterprise" in payer.json()["detail"]
    with db() as s:
        assert s.scalars(select(CatalogueItem)).all() == []


def test_goods_the_seller_filed_count_for_the_platform(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    send(client, filed, 1)
    with db() as s:
        start, end = service.window()
        before = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert before["goods_not_in_catalogue"].result == "fail"
    # the seller (the e-commerce enterprise of the list) files the goods itself
    response = client.post(URL, json={"items": [SAMPLE_ITEM]}, headers=key(filed[SELLER]))
    assert response.status_code == 201, response.text
    with db() as s:
        after = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        assert (after["goods_not_in_catalogue"].result, after["goods_not_in_catalogue"].count) == (
            "pass",
            0,
        )
    # withdrawn from today: lists released today no longer match it
    client.delete(f"{URL}/SKU-001", headers=key(filed[SELLER])).raise_for_status()
    with db() as s:
        gone = {a.name: a for a in service.verify(s, PLATFORM, start, end).automatic}
        found = gone["goods_not_in_catalogue"]
        assert (found.result, found.count) == ("fail", 1)


def test_each_absent_line_says_why() -> None:
    day = date(2026, 11, 11)
    filed = [
        Filed(PLATFORM, "A", "3304990099", date(2026, 1, 1)),
        Filed(PLATFORM, "B", "2106909090", date(2026, 1, 1), withdrawn_on=date(2026, 11, 1)),
        Filed(PLATFORM, "C", "0409000000", date(2026, 11, 20)),
        Filed(SELLER, "D", "1901101090", date(2026, 1, 1)),
        Filed("9999999999", "E", "0901210000", date(2026, 1, 1)),  # another seller's
    ]
    cleared = {
        Cleared("A", "3304990099", "cream", SELLER, day): 10,
        Cleared("A", "3304990039", "serum", SELLER, day): 1,
        Cleared("B", "2106909090", "pills", SELLER, day): 2,
        Cleared("C", "0409000000", "honey", SELLER, day): 3,
        Cleared("D", "1901101090", "formula", SELLER, day): 4,
        Cleared("E", "0901210000", "coffee", SELLER, day): 5,
        Cleared(None, "3304990099", "cream", SELLER, day): 6,
    }
    found = verification.catalogue_check(PLATFORM, cleared, filed)
    why = {e["itemNo"]: e["why"] for e in found.examples}
    assert why == {
        "E": "not filed",
        "C": "filed only on 2026-11-20",
        "B": "withdrawn on 2026-11-01",
        "A": "filed under HS 3304990099",
    }
    assert (found.count, found.value, found.result) == (11, round(11 / 31, 4), "fail")
    assert [e["lines"] for e in found.examples] == [5, 3, 2, 1]


runner = CliRunner()


def cbec(*args: str) -> Any:
    return runner.invoke(app, list(args))


def said(stderr: str, path: str, rule: str) -> bool:
    """Whether an error line names the field ``path`` and the ``rule`` it broke."""
    return any(
        line.startswith(f"error: {path}: ") and line.endswith(f"[{rule}]")
        for line in stderr.splitlines()
    )


def test_customs_imports_catalogues_from_csv_and_json(
    filed: dict[str, str], db: sessionmaker[Session], store_env: None, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "itemNo,goodsName,hsCode,brand,spec\n"
        "SKU-001,婴儿配方奶粉,1901101010,无品牌,900g/罐\n"
        "SKU-002,面霜,3304,SAKURA,50g\n",
        "utf-8",
    )
    refused = cbec("portrait", "catalogue", "import", str(bad), "--enterprise", PLATFORM)
    assert refused.exit_code == 1
    assert said(refused.stderr, "line 3/hsCode", "string_pattern_mismatch")
    assert "nothing was imported" in refused.stderr
    no_code = cbec("portrait", "catalogue", "import", str(bad))
    assert (no_code.exit_code, said(no_code.stderr, "--enterprise", "required")) == (1, True)
    header = tmp_path / "header.csv"
    header.write_text("itemNo,name\nA,B\n", "utf-8")
    wrong = cbec("portrait", "catalogue", "import", str(header), "--enterprise", PLATFORM)
    assert said(wrong.stderr, "line 1/goodsName", "required")
    assert said(wrong.stderr, "line 1/name", "unknown")
    # a comma left unquoted makes a cell the header has no column for: refused, not cut off
    comma = tmp_path / "comma.csv"
    comma.write_text(
        "itemNo,goodsName,hsCode,brand,spec\nA6,保湿面霜,3304990099,SAKURA,50g/瓶, 2瓶装\n",
        "utf-8",
    )
    cut = cbec("portrait", "catalogue", "import", str(comma), "--enterprise", PLATFORM)
    assert cut.exit_code == 1
    assert said(cut.stderr, "line 2", "columns")
    assert "6 cells, the header has 5" in cut.stderr

    good = tmp_path / "platform.csv"
    good.write_text(
        "itemNo,goodsName,hsCode,brand,spec,filedOn\n"
        "SKU-001,婴儿配方奶粉,1901101010,无品牌,900g/罐,2026-01-05\n"
        "FC-JP-001,面霜,3304990099,SAKURA,50g,\n",
        "utf-8",
    )
    done = cbec("portrait", "catalogue", "import", str(good), "--enterprise", PLATFORM)
    assert done.exit_code == 0, done.stderr
    assert "2 item(s) filed, 0 amended, 0 unchanged" in done.stdout

    document = tmp_path / "catalogues.json"
    document.write_text(
        json.dumps(
            {
                "format": "cbec-catalogues/1",
                "catalogues": [
                    {"enterpriseCode": PLATFORM, "items": [{**CREAM, "brand": "SAKURA JP"}]},
                    {"enterpriseCode": SELLER, "items": [SAMPLE_ITEM]},
                ],
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    both = cbec("portrait", "catalogue", "import", str(document))
    assert both.exit_code == 0, both.stderr
    assert "2 catalogue(s), 1 item(s) filed, 1 amended, 0 unchanged" in both.stdout
    assert (
        "0 item(s) filed, 0 amended, 2 unchanged"
        in cbec("portrait", "catalogue", "import", str(document)).stdout
    )
    listed = json.loads(cbec("portrait", "catalogue", "list", PLATFORM, "--json").stdout)
    assert {i["itemNo"]: i["brand"] for i in listed} == {
        "SKU-001": "无品牌",
        "FC-JP-001": "SAKURA JP",
    }
    assert {i["itemNo"]: i["filedOn"] for i in listed}["SKU-001"] == "2026-01-05"

    payer = tmp_path / "payer.json"
    payer.write_text(json.dumps([CREAM]), "utf-8")
    not_filer = cbec("portrait", "catalogue", "import", str(payer), "--enterprise", PAY)
    assert not_filer.exit_code == 1
    assert said(not_filer.stderr, "catalogues/0/enterpriseCode", "filer")
    future = tmp_path / "future.json"
    future.write_text(json.dumps([{**CREAM, "filedOn": "2999-01-01"}]), "utf-8")
    later = cbec("portrait", "catalogue", "import", str(future), "--enterprise", PLATFORM)
    assert said(later.stderr, "catalogues/0/items/0/filedOn", "not-future")
    missing = cbec("portrait", "catalogue", "import", str(tmp_path / "none.json"))
    assert missing.exit_code == 1
    assert said(missing.stderr, str(tmp_path / "none.json"), "readable")
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    assert said(cbec("portrait", "catalogue", "import", str(broken)).stderr, str(broken), "json")


@pytest.mark.parametrize("kind", ["csv", "list", "document"])
def test_an_enterprise_option_that_is_not_a_customs_code_is_one_line(
    filed: dict[str, str], store_env: None, tmp_path: Path, kind: str
) -> None:
    source = tmp_path / f"items.{'csv' if kind == 'csv' else 'json'}"
    if kind == "csv":
        source.write_text("itemNo,goodsName,hsCode,brand,spec\nFC-1,面霜,3304990099,S,50g\n")
    elif kind == "list":
        source.write_text(json.dumps([CREAM]), "utf-8")
    else:
        document = {"format": "cbec-catalogues/1", "catalogues": []}
        source.write_text(json.dumps(document), "utf-8")

    refused = cbec("portrait", "catalogue", "import", str(source), "--enterprise", "nope")

    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        "error: --enterprise: 'nope' is not a customs code (10 letters or digits) "
        "[pattern=[0-9A-Za-z]{10}]"
    )
    assert refused.stderr.splitlines()[1:] == [f"nothing was imported from {source}"]
    assert json.loads(cbec("portrait", "catalogue", "list", PLATFORM, "--json").stdout) == []


def test_an_enterprise_not_in_a_catalogue_document_is_refused(
    filed: dict[str, str], store_env: None, tmp_path: Path
) -> None:
    document = tmp_path / "catalogues.json"
    document.write_text(
        json.dumps(
            {
                "format": "cbec-catalogues/1",
                "catalogues": [{"enterpriseCode": PLATFORM, "items": [CREAM]}],
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    refused = cbec("portrait", "catalogue", "import", str(document), "--enterprise", SELLER)
    assert refused.exit_code == 1
    assert said(refused.stderr, "--enterprise", "present")
    assert SELLER in refused.stderr
    done = cbec("portrait", "catalogue", "import", str(document), "--enterprise", PLATFORM)
    assert "1 catalogue(s), 1 item(s) filed" in done.stdout


def test_an_officer_check_of_goods_no_longer_carries_hs_codes(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    file_catalogue(client, filed)
    send(client, filed, 1)
    with db() as s:
        start, end = service.window()
        found = service.verify(s, PLATFORM, start, end)
        auto = {a.name: a for a in found.automatic}
        assert auto["goods_not_in_catalogue"].result == "pass"
        assert auto["goods_not_in_catalogue"].value == 0.0
        assert found.status != "failed"


def test_control_characters_are_refused_naming_the_field_and_nothing_is_stored(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    platform = key(filed[PLATFORM])
    nul = client.post(
        URL, json={"items": [CREAM, {**CREAM, "itemNo": "X-2", "brand": "SA\x00KURA"}]},
        headers=platform,
    )  # fmt: skip
    assert nul.status_code == 422, nul.text
    assert nul.json()["fields"][0]["path"] == "body/items/1/brand"
    assert "control characters" in nul.json()["fields"][0]["message"]
    bell = client.put(f"{URL}/SKU-001", json=goods(CREAM, spec="50g\x07"), headers=platform)
    assert (bell.status_code, bell.json()["fields"][0]["path"]) == (422, "body/spec")
    with db() as s:
        assert s.scalars(select(CatalogueItem)).all() == []
    # a tab is text; a reason with %00 in the query is refused at the door
    tab = client.post(URL, json={"items": [{**CREAM, "spec": "50g\t瓶"}]}, headers=platform)
    assert tab.status_code == 201, tab.text
    gone = client.delete(f"{URL}/FC-JP-001?reason=end%00ed", headers=platform)
    assert gone.status_code == 400
    assert gone.json()["fields"] == [
        {"path": "(query)", "rule": "control", "message": gone.json()["fields"][0]["message"]}
    ]
    with db() as s:
        assert s.scalars(select(CatalogueItem.withdrawn_on)).all() == [None]
