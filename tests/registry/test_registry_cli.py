"""``cbec registry ...`` on a SQLite file: what an operator types and sees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cbec.config import get_settings
from cbec.registry.commands import app
from cbec.registry.credentials import authenticate
from cbec.registry.service import get_by_code
from cbec.store import open_store
from tests.registry.factories import (
    EBC_CODE,
    PAY_CODE,
    PLATFORM_CODE,
    bad_checksum,
    entry,
    registry,
    sample_registry,
    valid_uscc,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """CBEC_DATABASE_URL pointing at a fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'cbec.db'}"
    monkeypatch.setenv("CBEC_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def file(code: str = PLATFORM_CODE, n: int = 1, *roles: str, **options: str) -> Result:
    args = ["file", "--code", code, "--uscc", valid_uscc(n), "--name", f"企业 {n}"]
    for role in roles or ("platform",):
        args += ["--role", role]
    for option, value in options.items():
        args += [f"--{option.replace('_', '-')}", value]
    return run(*args)


def owner_of(url: str, token: str) -> str:
    factory = open_store(url)
    try:
        with factory() as session:
            return authenticate(session, token).customs_code
    finally:
        factory.kw["bind"].dispose()


def listed(*filters: str) -> list[dict[str, Any]]:
    result = run("list", "--json", *filters)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def fails(result: Result, *words: str) -> None:
    """Exit 1 with a short error on stderr naming ``words``, and no traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    for word in words:
        assert word in result.stderr


def test_file_prints_a_key_that_authenticates(store: str) -> None:
    result = file(PLATFORM_CODE, 1, "platform", "ecommerce", filing_date="2024-03-01")

    assert result.exit_code == 0, result.output
    assert f"filed {PLATFORM_CODE}" in result.stdout
    token = result.stdout.strip().splitlines()[-1]
    assert owner_of(store, token) == PLATFORM_CODE
    [shown] = listed()
    assert (shown["roles"], shown["filingDate"]) == (["ecommerce", "platform"], "2024-03-01")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--uscc", bad_checksum(valid_uscc(1))], ["uscc", "stdnum.cn.uscc", "check digit"]),
        (["--code", "440196"], ["customsCode", "length=10", "got 6"]),
        (["--role", "shop"], ["roles[0]", "'shop' is not a role"]),
        (["--filing-date", "2024-02-30"], ["filingDate"]),
    ],
)
def test_bad_input_is_one_line_naming_field_and_rule(args: list[str], words: list[str]) -> None:
    base = {
        "--code": PLATFORM_CODE,
        "--uscc": valid_uscc(1),
        "--name": "企业",
        "--role": "platform",
    }
    base.update(zip(args[::2], args[1::2], strict=True))
    result = run("file", *[part for pair in base.items() for part in pair])

    fails(result, *words)
    assert len(result.stderr.strip().splitlines()) == 1
    assert listed() == []


def test_filing_without_a_role_is_refused() -> None:
    result = run("file", "--code", PLATFORM_CODE, "--uscc", valid_uscc(1), "--name", "企业")
    fails(result, "roles", "minOccurs=1")


def test_duplicate_code_and_uscc_are_refused() -> None:
    assert file(PLATFORM_CODE, 1).exit_code == 0
    fails(file(PLATFORM_CODE, 2), PLATFORM_CODE, "customsCode", "unique")
    fails(file(EBC_CODE, 1), "uscc", "unique", PLATFORM_CODE)


@pytest.mark.parametrize("value", ["nan", "-nan", "snan", "inf", "1.5"])
def test_rates_that_are_not_shares_are_refused_and_keep_the_rates(store: str, value: str) -> None:
    assert file(PLATFORM_CODE, 1).exit_code == 0
    assert run("rates", PLATFORM_CODE, "--review", "0.2").exit_code == 0

    result = run("rates", PLATFORM_CODE, "--review", value, "--inspection", "0.1")

    fails(result, "review", "range=0..1", "is not a share between 0 and 1")
    assert len(result.stderr.strip().splitlines()) == 1
    factory = open_store(store)
    try:
        with factory() as session:
            kept = get_by_code(session, PLATFORM_CODE)
            assert (kept.review_rate, kept.inspection_rate) == (Decimal("0.2"), None)
    finally:
        factory.kw["bind"].dispose()


def test_status_changes_and_revocation_is_final() -> None:
    assert file().exit_code == 0

    suspended = run("suspend", PLATFORM_CODE, "--reason", "under investigation")
    assert suspended.exit_code == 0, suspended.output
    assert listed("--status", "suspended")[0]["statusReason"] == "under investigation"

    assert run("reinstate", PLATFORM_CODE).exit_code == 0
    assert listed()[0]["status"] == "active"

    assert run("revoke", PLATFORM_CODE, "--reason", "fraud").exit_code == 0
    fails(run("reinstate", PLATFORM_CODE), "revocation is final")
    fails(run("amend", PLATFORM_CODE, "--name", "x"), "revocation is final")
    assert listed()[0]["status"] == "revoked"


def test_amend_replaces_the_roles() -> None:
    assert file(PLATFORM_CODE, 1, "platform").exit_code == 0
    result = run("amend", PLATFORM_CODE, "--role", "ecommerce", "--role", "agent")
    assert result.exit_code == 0, result.output
    assert listed()[0]["roles"] == ["agent", "ecommerce"]
    fails(run("amend", PLATFORM_CODE), "nothing to amend")


def test_list_filters_and_table() -> None:
    assert file(PLATFORM_CODE, 1, "platform").exit_code == 0
    assert file(PAY_CODE, 3, "payment").exit_code == 0

    assert [e["customsCode"] for e in listed("--role", "payment")] == [PAY_CODE]
    table = run("list")
    assert table.exit_code == 0
    assert PLATFORM_CODE in table.stdout
    assert PAY_CODE in table.stdout
    assert "2 enterprise(s)" in table.stdout
    fails(run("list", "--status", "closed"), "status", "enumeration")


def test_show_and_unknown_code() -> None:
    assert file().exit_code == 0
    shown = run("show", PLATFORM_CODE, "--json")
    assert shown.exit_code == 0
    details = json.loads(shown.stdout)
    assert details["customsCode"] == PLATFORM_CODE
    assert len(details["keys"]) == 1
    fails(run("show", "4401969999"), "no enterprise is filed under customs code 4401969999")


def test_issue_key_and_revoke_key(store: str) -> None:
    first = file().stdout.strip().splitlines()[-1]
    issued = run("issue-key", PLATFORM_CODE)
    assert issued.exit_code == 0
    second = issued.stdout.strip().splitlines()[-1]
    assert owner_of(store, second) == PLATFORM_CODE

    key_id = first.split("_")[1]
    assert run("revoke-key", PLATFORM_CODE, key_id).exit_code == 0
    assert owner_of(store, second) == PLATFORM_CODE
    with pytest.raises(Exception, match="revoked"):
        owner_of(store, first)


def test_import_writes_the_keys_and_is_idempotent(store: str, tmp_path: Path) -> None:
    source = tmp_path / "registry.json"
    source.write_text(json.dumps(sample_registry(), ensure_ascii=False), encoding="utf-8")
    keys_out = tmp_path / "out" / "keys.json"

    first = run("import", str(source), "--keys-out", str(keys_out))

    assert first.exit_code == 0, first.output
    assert "3 filed, 0 amended, 0 unchanged; 3 API key(s) issued" in first.stdout
    tokens = json.loads(keys_out.read_text(encoding="utf-8"))
    assert set(tokens) == {PLATFORM_CODE, EBC_CODE, PAY_CODE}
    assert all(owner_of(store, token) == code for code, token in tokens.items())
    assert keys_out.stat().st_mode & 0o077 == 0  # secrets: readable by the owner only
    assert [e["status"] for e in listed()] == ["active", "active", "suspended"]

    again = run("import", str(source), "--keys-out", str(keys_out))

    assert again.exit_code == 0, again.output
    assert "0 filed, 0 amended, 3 unchanged; 0 API key(s) issued" in again.stdout
    assert json.loads(keys_out.read_text(encoding="utf-8")) == tokens


def test_import_without_keys_out_prints_the_keys(store: str, tmp_path: Path) -> None:
    source = tmp_path / "registry.json"
    source.write_text(json.dumps(registry(entry(PLATFORM_CODE, 1))), encoding="utf-8")
    result = run("import", str(source))
    assert result.exit_code == 0
    code, token = result.stdout.strip().splitlines()[-1].split()
    assert owner_of(store, token) == code == PLATFORM_CODE


def test_bad_import_names_each_entry_and_imports_nothing(tmp_path: Path) -> None:
    source = tmp_path / "registry.json"
    document = registry(
        entry(PLATFORM_CODE, 1),
        entry(EBC_CODE, 2, uscc=bad_checksum(valid_uscc(2))),
        entry(PAY_CODE, 3, "bank"),
    )
    source.write_text(json.dumps(document), encoding="utf-8")
    keys_out = tmp_path / "keys.json"

    result = run("import", str(source), "--keys-out", str(keys_out))

    fails(result, "enterprises[1].uscc", "stdnum.cn.uscc", "enterprises[2].roles[0]")
    assert "nothing was imported" in result.stderr
    assert listed() == []
    assert not keys_out.exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            json.dumps({"format": "cbec-registry/9", "enterprises": []}),
            ["error: format: unknown format 'cbec-registry/9'; expected 'cbec-registry/1'"],
        ),
        (
            json.dumps({"enterprises": []}),
            ["error: format: missing; expected 'cbec-registry/1' [required]"],
        ),
        ("[]", ["error: (top level): a JSON object with format 'cbec-registry/1' expected"]),
        ("{not json", ["is not JSON"]),
    ],
)
def test_unreadable_registry_file_is_refused(
    tmp_path: Path, content: str, words: list[str]
) -> None:
    source = tmp_path / "registry.json"
    source.write_text(content, encoding="utf-8")
    fails(run("import", str(source)), *words)


def test_missing_registry_file_is_refused(tmp_path: Path) -> None:
    fails(run("import", str(tmp_path / "nope.json")), "cannot read")


def test_signature_keys_and_policy_from_the_command_line(tmp_path: Path) -> None:
    from cbec.messages.signature import SigningKey

    assert file().exit_code == 0
    key = SigningKey.generate("sm2-sm3", "sm2-01")
    pem = tmp_path / "sm2.pem"
    pem.write_text(key.public_pem(), encoding="ascii")
    added = run(
        "signature", "add-key", PLATFORM_CODE, "--public-key", str(pem),
        "--algorithm", "sm2-sm3", "--name", "sm2-01",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "sm2-01 (sm2-sm3)" in added.stdout
    assert run("signature", "policy", PLATFORM_CODE, "enforce").exit_code == 0
    shown = run("signature", "keys", PLATFORM_CODE, "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["policy"] == "enforce"
    assert [k["keyName"] for k in data["keys"]] == ["sm2-01"]
    assert run("signature", "revoke-key", PLATFORM_CODE, "sm2-01").exit_code == 0
    assert json.loads(run("signature", "keys", PLATFORM_CODE, "--json").stdout)["keys"][0][
        "revokedAt"
    ]
    fails(run("signature", "policy", PLATFORM_CODE, "sometimes"), "policy", "enforce")
    rsa = tmp_path / "rsa.pem"
    rsa.write_text(SigningKey.generate("rsa-sha256", "r").public_pem(), encoding="ascii")
    fails(
        run(
            "signature",
            "add-key",
            PLATFORM_CODE,
            "--public-key",
            str(rsa),
            "--algorithm",
            "sm2-sm3",
        ),
        "publicKey",
    )
    fails(
        run("signature", "add-key", PLATFORM_CODE, "--public-key", str(tmp_path / "none.pem"),
            "--algorithm", "sm2-sm3"),
        "cannot read",
    )  # fmt: skip
