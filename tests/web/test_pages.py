"""Every page renders from cbec alone (no external address), officer pages need a
signed-in officer, and the public consumer page shows the quota with personal data
masked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.store.models import Declaration
from cbec.web import routes
from tests.web.conftest import BUYER_ID, BUYER_PHONE, a_set, send, sign_in

EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)
LINKS = re.compile(r"""(?<![\w-])(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/monitor", "/workbench", "/workbench?queue=inspection"])
def test_officer_pages_send_a_stranger_to_sign_in(
    path: str, web: Callable[..., TestClient]
) -> None:
    response = web().get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={quote(path, safe='/')}"


def test_wrong_password_is_refused_on_the_form(
    web: Callable[..., TestClient], officers: None
) -> None:
    client = web()
    response = client.post(
        "/login", data={"username": "rev", "password": "nope nope nope"}, follow_redirects=False
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text  # Chinese by default
    client.cookies.set("lang", "en")
    response = client.post("/login", data={"username": "rev", "password": "nope nope nope"})
    assert "wrong username or password" in response.text
    assert "cbec_officer" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("username", ["rev", "nobody.here"])
def test_too_many_failed_sign_ins_lock_the_username_on_the_form(
    web: Callable[..., TestClient], officers: None, username: str
) -> None:
    client = web(officer_signin_attempts=2, officer_signin_lock_seconds=600)
    wrong = {"username": username, "password": "nope nope nope"}
    assert [client.post("/login", data=wrong).status_code for _ in range(2)] == [401, 401]

    # even the right password, and the same answer whether or not the officer exists
    response = client.post("/login", data=wrong | {"password": "correct horse battery"})

    assert response.status_code == 429
    assert 595 <= int(response.headers["Retry-After"]) <= 600
    assert "该用户名登录失败次数过多" in response.text  # Chinese by default
    assert "cbec_officer" not in response.headers.get("set-cookie", "")
    client.cookies.set("lang", "en")
    response = client.post("/login", data=wrong)
    assert response.status_code == 429
    assert "Too many failed sign-ins under this username: try again in" in response.text


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(
    web: Callable[..., TestClient], officers: None
) -> None:
    client = web()
    response = client.post(
        "/login",
        data={"username": "rev", "password": "correct horse battery", "next": "//evil.example"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/monitor"  # no open redirect
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert client.get("/monitor").status_code == 200
    client.post("/logout")
    assert client.get("/monitor", follow_redirects=False).status_code == 303


def test_no_page_or_asset_refers_to_another_site(
    web: Callable[..., TestClient],
    filed: dict[str, str],
    officers: None,
    db: sessionmaker[Session],
) -> None:
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    with db() as s:
        number = s.scalars(select(Declaration.invt_no)).one()
    pages = {path: client.get(path) for path in ("/login", "/consumer")}
    sign_in(client, "rev")
    officer_pages = ("/monitor", "/workbench", "/workbench?queue=inspection")
    for path in (*officer_pages, f"/workbench/items/{number}"):
        pages[path] = client.get(path)
    pages["/consumer (answer)"] = client.post(
        "/consumer", data={"name": "张伟", "idNumber": BUYER_ID, "phone": BUYER_PHONE}
    )
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert not EXTERNAL.findall(response.text), path
        for link in LINKS.findall(response.text):
            assert link.startswith(("/", "#")), (path, link)
            assert not link.startswith("//"), (path, link)
    # the pages' own scripts and styles, as served
    linked = {
        link
        for response in pages.values()
        for link in LINKS.findall(response.text)
        if link.startswith("/static/") and "/vendor/" not in link
    }
    assert {"/static/app.css", "/static/monitor.js", "/static/workbench.js"} <= {
        link.split("?")[0] for link in linked
    }
    for link in linked:
        asset = client.get(link)
        assert asset.status_code == 200, link
        assert not EXTERNAL.findall(asset.text.replace("http://www.w3.org/2000/svg", "")), link


def test_chart_library_and_map_are_served_by_cbec(web: Callable[..., TestClient]) -> None:
    """Installed from the npm registry by `make install`, served from /static/vendor."""
    vendor = Path(routes.STATIC) / "vendor"
    assert (vendor / "echarts.min.js").is_file(), "run make install (npm ci) first"
    client = web()
    for name in ("echarts.min.js", "china.js"):
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]
    assert "registerMap('china'" in client.get("/static/vendor/china.js").text


def test_consumer_sees_quota_with_lists_masked(
    web: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = web()
    send(client, filed, a_set(1))
    send(client, filed, a_set(2))
    page = client.get("/consumer")
    assert page.status_code == 200
    assert "cbec_officer" not in page.text
    assert "/workbench" not in page.text
    answer = client.post(
        "/consumer", data={"name": "张伟", "idNumber": BUYER_ID, "phone": BUYER_PHONE}
    )
    assert answer.status_code == 200
    html = answer.text
    assert "¥796.00" in html  # used: two lists of 398.00
    assert "¥25,204.00" in html  # remaining of 26,000
    assert "110*************2X" in html
    assert "138****5678" in html
    assert "北京市" in html
    assert "建国路88号" not in html
    for secret in (BUYER_ID, BUYER_PHONE):
        assert secret not in html
    assert answer.headers["cache-control"] == "no-store"


def test_consumer_with_a_wrong_phone_learns_nothing(
    web: Callable[..., TestClient], filed: dict[str, str]
) -> None:
    client = web()
    send(client, filed, a_set(1))
    answer = client.post(
        "/consumer", data={"name": "张伟", "idNumber": BUYER_ID, "phone": "13900000000"}
    )
    assert answer.status_code == 404
    assert "没有与此姓名和手机号一致的清单" in answer.text  # the page's language (Chinese)
    assert "¥398.00" not in answer.text
    unknown = client.post(
        "/consumer", data={"name": "张伟", "idNumber": "110105194912310029", "phone": "13900000000"}
    )
    assert unknown.status_code == 404
    error = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)
    assert error.findall(unknown.text) == error.findall(answer.text)  # the same answer
    bad = client.post("/consumer", data={"name": "张伟", "idNumber": "123", "phone": "1"})
    assert bad.status_code == 400
