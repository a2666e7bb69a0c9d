"""``cbec catalog ...`` on the test store: what an operator types and sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from cbec.cli import app
from cbec.config import get_settings
from cbec.store.models import CatalogEdition, PositiveListLine
from tests.catalog.factories import positive_list

runner = CliRunner()


@pytest.fixture(autouse=True)
def store(
    engine: Engine, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[sessionmaker[Session]]:
    """CBEC_DATABASE_URL pointing at the (emptied) test store of each back end."""
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def run(*args: str) -> Result:
    return runner.invoke(app, ["catalog", *args])


def editions(db: sessionmaker[Session]) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(CatalogEdition)) or 0


def test_seed_then_show(store: sessionmaker[Session]) -> None:
    result = run("seed")
    assert result.exit_code == 0, result.output
    assert "loaded positive-list edition '2022 positive list (cbec subset)'" in result.output
    again = run("seed")
    assert again.output.count("unchanged") == 3
    assert editions(store) == 3

    shown = run("show", "3304990099", "--on", "2025-11-11")
    assert shown.exit_code == 0, shown.output
    assert "positive list line 33049900" in shown.output
    assert "VAT 13%, consumption tax 15% (from 10 CNY per 036 克)" in shown.output

    whisky = run("show", "2208300000", "--on", "2025-11-11").output
    assert "consumption tax 20% + 1 CNY per 035 千克" in whisky

    rice = run("show", "10063010", "--on", "2025-11-11").output
    assert "at most 20 kg a person a year" in rice


def test_show_policy_by_date() -> None:
    run("seed")
    old = run("show", "--on", "2018-06-01")
    assert old.exit_code == 0, old.output
    assert "per_order_limit = 2000" in old.output
    assert "positive-list: none loaded" in old.output
    new = run("show", "--on", "2019-06-01").output
    assert "per_order_limit = 5000" in new
    assert "annual_limit = 26000" in new


def test_show_a_code_not_in_force() -> None:
    run("seed")
    result = run("show", "9999999999", "--on", "2025-01-01")
    assert result.exit_code == 0
    assert "not on the positive list in force" in result.output
    assert "no HS code in force" in result.output


def test_load_and_list_editions(tmp_path: Path, store: sessionmaker[Session]) -> None:
    file = tmp_path / "list_2019.csv"
    file.write_bytes(positive_list("04090000,天然蜂蜜,,,,", "10063010,长粒米精米,,,,20"))
    result = run(
        "load", str(file), "--kind", "positive-list", "--edition", "2019 list",
        "--effective-from", "2020-01-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "loaded positive-list edition '2019 list': 2 rows, in force from 2020-01-01" in (
        result.output
    )
    listed = run("editions").output
    assert "2019 list" in listed
    assert "1 edition(s)" in listed
    shown = run("show", "1006301001", "--on", "2021-01-01").output
    assert "at most 20 kg a person a year" in shown


def test_bad_rows_are_named_and_nothing_is_loaded(
    tmp_path: Path, store: sessionmaker[Session]
) -> None:
    file = tmp_path / "bad.csv"
    file.write_bytes(positive_list("04090000,honey,,,,", "0409,bad,,,,", "04090001,x,,perhaps,,"))
    result = run("load", str(file), "--effective-from", "2022-03-01")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: line 3, column tariff_code8: must be 8 digits, got '0409' [code8]",
        "error: line 4, column bonded_only: must be true or false, got 'perhaps' [boolean]",
        f"nothing was loaded from {file}",
    ]
    assert "Traceback" not in result.output
    assert editions(store) == 0
    with store() as session:
        assert session.scalar(select(func.count()).select_from(PositiveListLine)) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load", "missing.csv", "--effective-from", "2022-03-01"], "error: cannot read"),
        (["load", "x.csv", "--kind", "tariff"], "error: --kind must be one of"),
        (
            ["load", "x.csv", "--effective-from", "1 March"],
            "error: --effective-from must be a date",
        ),
        (["show", "3304990099", "--on", "tomorrow"], "error: --on must be a date"),
        (["show", "33049"], "error: a code is 8 or 10 digits"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_bytes(positive_list("04090000,honey,,,,"))
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_loading_a_positive_list_without_a_date_says_what_is_missing(tmp_path: Path) -> None:
    file = tmp_path / "list.csv"
    file.write_bytes(positive_list("04090000,honey,,,,"))
    result = run("load", str(file))
    assert result.exit_code == 1
    assert "needs --effective-from" in result.stderr


def test_same_edition_name_with_other_content_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "list.csv"
    file.write_bytes(positive_list("04090000,honey,,,,"))
    assert run("load", str(file), "--effective-from", "2022-03-01").exit_code == 0
    assert "unchanged" in run("load", str(file), "--effective-from", "2022-03-01").output
    file.write_bytes(positive_list("04090000,honey,,,,", "08021200,almonds,,,,"))
    refused = run("load", str(file), "--effective-from", "2022-03-01")
    assert refused.exit_code == 1
    assert "already loaded" in refused.stderr
    replaced = run("load", str(file), "--effective-from", "2022-03-01", "--replace")
    assert replaced.exit_code == 0
    assert "replaced positive-list edition 'list': 2 rows" in replaced.output
