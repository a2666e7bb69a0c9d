"""In a real browser (Debian's chromium, headless, driven by Playwright) against a live
server on a free loopback port: the monitoring screen's counter moves when a list is
released, and a reviewer approves a list with the keyboard. Screenshots of both pages are
saved under test-artefacts/.

Runs once, on its own SQLite store (a browser flow says nothing more on PostgreSQL than the
server-side tests already do on both back ends)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.catalog import service as catalog_service
from cbec.config import Settings
from cbec.registry.credentials import issue_key
from cbec.risk import service as risk
from cbec.store.models import Case, CaseEvidence, Declaration, Enterprise, EnterpriseRole
from cbec.warehouse.service import Warehouse
from tests.conftest import SAMPLE_ENTERPRISES, sample_uscc
from tests.officers.factories import PASSWORD, staff
from tests.warehouse.conftest import AREA, MILK, MILK_BAR, SERUM, entry
from tests.web.conftest import EBC, a_set, send
from tests.web.test_risk_pages import ANALYST, RULES, _network_case

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"
#: The flags the machine's notes give for a headless chromium on a closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _file_enterprises(factory: sessionmaker[Session]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    with factory() as s:
        catalog_service.seed(s)
        for n, (code, (name, roles)) in enumerate(SAMPLE_ENTERPRISES.items()):
            enterprise = Enterprise(
                customs_code=code,
                uscc=sample_uscc(n),
                name=name,
                status="active",
                filing_date=date(2024, 3, 1),
                roles=[EnterpriseRole(role=r) for r in roles],
            )
            s.add(enterprise)
            s.flush()
            tokens[code] = issue_key(s, enterprise).token
        s.commit()
    return tokens


class LiveServer:
    """The app served by uvicorn in a thread of this process, on a free loopback port."""

    def __init__(self, tmp: Path) -> None:
        settings = Settings(
            database_url=f"sqlite:///{tmp / 'cbec.db'}", review_rate=0.0, inspection_rate=0.0
        )
        self.app = create_app(settings)
        self.app.state.web_monitor.interval = 0.3
        self.factory: sessionmaker[Session] = self.app.state.session_factory
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path) as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is not installed (make test installs it with apt-get when "
            "run as root): the browser tests need it"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is pinned in requirements.lock
        pytest.skip("playwright is not installed (make install)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _sign_in(page: Any, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # the workbench's script may already have put the selected list in the address (#...)
    page.wait_for_url(lambda url: url.split("#", 1)[0].endswith(target))


#: Per language: the monitor's heading and the reason dialog's title for approving.
WORDS = {"zh": ("通关监控", "放行"), "en": ("Clearance monitoring", "Approve")}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_monitor_updates_live_and_a_reviewer_approves_by_keyboard(
    live: LiveServer, browser: Any, lang: str
) -> None:
    tokens = _file_enterprises(live.factory)
    staff(live.factory, rev=["reviewer"])
    ARTEFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.on("pageerror", lambda e: errors.append(str(e)))

    with httpx.Client(base_url=live.url, timeout=30) as api:
        send(api, tokens, a_set(1))
        _sign_in(page, live.url, "rev", "/monitor")
        if lang != "zh":  # Chinese by default; the switch in the top bar changes it
            page.click(f"#lang-{lang}")
            page.wait_for_selector(f'html[lang="{lang}"]')
        assert page.inner_text("h1") == WORDS[lang][0]
        released = page.locator('b[data-count="lists.released"]')
        page.wait_for_function("Number(document.body.dataset.updates || 0) >= 1")
        assert released.inner_text() == "1"
        # a list released while the screen is open moves the counter, no reload
        send(api, tokens, a_set(2))
        page.wait_for_function(
            "document.querySelector('b[data-count=\"lists.released\"]').textContent === '2'",
            timeout=15_000,
        )
        assert page.locator('[data-money="tax.total"]').inner_text() == "¥72.44"
        page.wait_for_timeout(300)
        suffix = "" if lang == "zh" else f"-{lang}"
        page.screenshot(path=str(ARTEFACTS / f"monitor{suffix}.png"), full_page=True)

        # the enterprise's lists now go to manual review; one arrives
        with live.factory() as s:
            reviewed = update(Enterprise).where(Enterprise.customs_code == EBC)
            s.execute(reviewed.values(review_rate=1))
            s.commit()
        send(api, tokens, a_set(3))
    with live.factory() as s:
        held = s.scalars(select(Declaration).where(Declaration.status == 300)).one()
    assert held.invt_no is not None

    page.goto(f"{live.url}/workbench")
    page.wait_for_selector(f'article.item[data-invt="{held.invt_no}"]')
    page.screenshot(path=str(ARTEFACTS / f"workbench{suffix}.png"))
    page.keyboard.press("a")
    page.wait_for_selector("dialog#reason-dialog[open]")
    assert page.inner_text("#reason-title") == WORDS[lang][1]  # the script's words
    page.keyboard.type("documents agree; goods as declared")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f'#queue li[data-invt="{held.invt_no}"]', state="detached")
    assert "800" in page.locator("#toast").inner_text()
    with live.factory() as s:
        assert s.get(Declaration, held.id).status == 800  # type: ignore[union-attr]
    assert not errors
    page.close()


def test_risk_pages_look_like_a_product(live: LiveServer, browser: Any) -> None:
    """Rules, the editor with its problems and a backtest, cases (a seizure, a clue opened
    from the workbench, a network drawn), portraits with a proposal, payment companies and
    the warehouse, as an officer holding every role sees them; a screenshot of each."""
    tokens = _file_enterprises(live.factory)
    with live.factory() as s:
        area = Enterprise(
            customs_code=AREA,
            uscc=sample_uscc(60),
            name="广州南沙保税仓储有限公司",
            status="active",
            filing_date=date(2024, 3, 1),
            roles=[EnterpriseRole(role="area")],
        )
        s.add(area)
        s.flush()
        tokens[AREA] = issue_key(s, area).token
        rule_set = risk.create_rule_set(s, risk.parse(RULES), by=ANALYST)
        risk.publish(s, rule_set.id, by=ANALYST)
        s.commit()
    staff(live.factory, boss=["risk_analyst", "investigator", "inspector", "reviewer"])
    _network_case(live.factory)
    with httpx.Client(base_url=live.url, timeout=30) as api:
        for n in range(1, 5):
            send(api, tokens, a_set(n))
        send(api, tokens, a_set(5, payment={"amountPaid": "999.00"}))
        send(api, tokens, [(AREA, entry("E1", [(MILK, "100", MILK_BAR), (SERUM, "5", None)]))])
    with live.factory() as s:
        Warehouse(s).count(MILK_BAR, Decimal(97), officer="boss", note="shelf B3")
        s.commit()

    ARTEFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live.url, "boss", "/workbench?queue=inspection")

    # an inspector seizes the first list; an investigator opens a clue on the second
    page.wait_for_selector("article.item[data-invt]")
    seized = page.get_attribute("article.item[data-invt]", "data-invt")
    page.keyboard.press("s")
    page.wait_for_selector("dialog#reason-dialog[open]")
    page.keyboard.type("counterfeit labels")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#queue li.gone")
    page.keyboard.press("j")
    page.wait_for_selector("#case-clue-form", state="attached")
    page.click(".case-clue summary")
    page.fill("#case-clue-form textarea", "same payer as the seized list")
    page.click("#open-case")
    page.wait_for_url("**/risk/cases/*")
    assert "same payer as the seized list" in page.inner_text("main")
    page.screenshot(path=str(ARTEFACTS / "case.png"), full_page=True)

    shots = {
        "rules.png": "/risk/rules",
        "rule-backtest.png": f"/risk/rules/{rule_set.id}?backtest=true",
        "cases.png": "/risk/cases",
        "case-network.png": "/risk/cases/1",
        "payments.png": "/payments",
        "warehouse.png": "/warehouse",
    }
    for name, path in shots.items():
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state()
        page.screenshot(path=str(ARTEFACTS / name), full_page=True)
        if name == "cases.png":  # the seizure opened a case clue about the seized list
            page.goto(f"{live.url}/risk/cases/{_case_of(live.factory, seized)}")
            assert seized
            assert seized in page.inner_text("main")
    assert page.locator("#discrepancies").inner_text().count("-3") == 1

    page.goto(f"{live.url}/risk/rules/new")
    page.fill(
        "textarea[name=text]",
        '{"name": "x", "rules": [{"name": "r", "when": '
        '{"<": [{"feature": "nope"}, 1]}, "action": "stop"}]}',
    )
    page.click("button[value=validate]")
    page.wait_for_selector("#problems")
    page.screenshot(path=str(ARTEFACTS / "rule-editor.png"), full_page=True)

    page.goto(f"{live.url}/portraits")
    page.click("#propose")
    page.wait_for_selector("#rating-items")
    page.screenshot(path=str(ARTEFACTS / "portraits.png"), full_page=True)
    page.goto(f"{live.url}/portraits/{EBC}")
    page.screenshot(path=str(ARTEFACTS / "portrait.png"), full_page=True)
    assert not errors
    page.close()


def test_a_consumer_sees_their_quota_in_the_browser(live: LiveServer, browser: Any) -> None:
    """A consumer opens the public page, gives name, ID number and phone, and sees what
    their released list used of the annual quota (masked, no officer page in sight)."""
    tokens = _file_enterprises(live.factory)
    with httpx.Client(base_url=live.url, timeout=30) as api:
        send(api, tokens, a_set(1))
    with live.factory() as s:
        used = s.scalars(select(Declaration.taxable_value)).one()
    assert used is not None
    ARTEFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.url}/consumer")
    page.fill("input[name=name]", "张伟")
    page.fill("input[name=idNumber]", "11010519491231002X")
    page.fill("input[name=phone]", "13812345678")
    page.click("button.primary")
    page.wait_for_selector("#quota-used")
    assert page.inner_text("#quota-used") == f"¥{used:,.2f}"
    assert page.inner_text("#quota-remaining") == f"¥{26000 - used:,.2f}"
    text = page.inner_text("main")
    assert "11010519491231002X" not in text  # shown masked
    assert "Workbench" not in page.content()
    page.screenshot(path=str(ARTEFACTS / "consumer.png"), full_page=True)
    assert errors == []


def _case_of(factory: sessionmaker[Session], invt_no: str | None) -> int:
    """The case a seizure of ``invt_no`` opened."""
    with factory() as s:
        found = s.scalars(
            select(Case.id)
            .join(CaseEvidence, CaseEvidence.case_id == Case.id)
            .where(Case.source == "seizure", CaseEvidence.ref == invt_no)
        ).first()
    assert found is not None, f"no case opened by the seizure of {invt_no}"
    return int(found)


def test_an_investigator_releases_a_seized_list_from_the_detained_queue(
    live: LiveServer, browser: Any
) -> None:
    """The detained queue in a browser: an inspector's seizure puts the list there; the
    investigator presses e, gives the reason, and the list is released (its script's
    path, body and toast, end to end)."""
    tokens = _file_enterprises(live.factory)
    staff(live.factory, insp=["inspector"], zhao=["investigator"])
    with live.factory() as s:
        s.execute(
            update(Enterprise).where(Enterprise.customs_code == EBC).values(inspection_rate=1)
        )
        s.commit()
    with httpx.Client(base_url=live.url, timeout=30) as api:
        send(api, tokens, a_set(1))
    with live.factory() as s:
        listed = s.scalars(select(Declaration)).one()
    assert listed.status == 500
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live.url, "insp", "/workbench?queue=inspection")
    page.wait_for_selector(f'article.item[data-invt="{listed.invt_no}"]')
    page.keyboard.press("s")
    page.wait_for_selector("dialog#reason-dialog[open]")
    page.keyboard.type("counterfeit labels")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f'#queue li[data-invt="{listed.invt_no}"]', state="detached")

    page.context.clear_cookies()
    _sign_in(page, live.url, "zhao", "/workbench")  # an investigator lands on detained
    page.wait_for_selector(f'article.item[data-invt="{listed.invt_no}"][data-queue="detained"]')
    page.keyboard.press("e")
    page.wait_for_selector("dialog#reason-dialog[open]")
    page.keyboard.type("labels genuine, brand owner confirmed")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(f'#queue li[data-invt="{listed.invt_no}"]', state="detached")
    assert "800" in page.locator("#toast").inner_text()
    with live.factory() as s:
        assert s.get(Declaration, listed.id).status == 800  # type: ignore[union-attr]
    assert not errors
    page.close()
