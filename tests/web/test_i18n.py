"""Chinese and English, switchable per browser, Chinese by default: the ``lang`` cookie,
the switch in the top bar (which goes back only to a path on this site), the strings the
scripts get, and a catalogue that translates every label the pages and Python mark."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from cbec.web import i18n
from tests.web.conftest import a_set, send, sign_in

WEB = Path(i18n.__file__).parent
HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
STRINGS = re.compile(r'<script type="application/json" id="strings">(.*?)</script>', re.DOTALL)
#: The templates whose every label goes through the catalogue (none keeps a Chinese literal
#: beside an English one); ``_lang.html`` names each language in its own.
CONVERTED = sorted(p.name for p in (WEB / "templates").glob("*.html") if p.name != "_lang.html")


def without_switch(html: str) -> str:
    """The page without the switch's "中文" and the officer's own name (data)."""
    return re.sub(r'<div class="who">.*?</div>', "", html.replace(">中文<", "><"), flags=re.DOTALL)


def test_pages_are_chinese_by_default(web: Callable[..., TestClient], officers: None) -> None:
    client = web()
    login = client.get("/login").text
    assert '<html lang="zh-CN">' in login
    assert "关员登录" in login
    assert "Officer sign-in" not in login
    assert 'id="lang-zh" aria-current="true"' in login
    sign_in(client, "rev")
    monitor = client.get("/monitor").text
    assert "通关监控" in monitor
    assert "Clearance monitoring" not in monitor
    assert ">工作台<" in monitor
    assert "Workbench" not in monitor
    assert json.loads(STRINGS.search(monitor).group(1))["live"] == "实时"  # type: ignore[union-attr]
    bench = client.get("/workbench").text
    assert "快捷键" in bench
    assert "Keyboard" not in bench
    assert json.loads(STRINGS.search(bench).group(1))["reasonRequired"] == "请填写理由"  # type: ignore[union-attr]
    consumer = client.get("/consumer").text
    assert "个人年度额度" in consumer
    assert "Your annual quota" not in consumer
    assert 'href="/lang/en?next=/consumer"' in consumer  # the switch on the public page too


def test_the_switch_sets_the_cookie_and_the_next_page_is_english(
    web: Callable[..., TestClient], officers: None
) -> None:
    client = web()
    sign_in(client, "rev")
    monitor = client.get("/monitor").text
    assert 'href="/lang/en?next=/monitor"' in monitor  # the switch in the top bar
    switched = client.get("/lang/en?next=/monitor", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/monitor"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert "samesite=lax" in cookie.lower()
    monitor = client.get("/monitor").text
    assert '<html lang="en">' in monitor
    assert "Clearance monitoring" in monitor
    assert "通关监控" not in monitor
    assert 'id="lang-en" aria-current="true"' in monitor
    assert json.loads(STRINGS.search(monitor).group(1))["live"] == "live"  # type: ignore[union-attr]
    # nothing Chinese is left on an English page (but the switch's own "中文")
    for path in ("/monitor", "/workbench", "/workbench?queue=inspection", "/consumer"):
        page = client.get(path)
        assert page.status_code == 200
        assert not HAN.findall(without_switch(page.text)), path
    client.post("/logout")
    assert not HAN.findall(without_switch(client.get("/login").text))
    # and back
    client.get("/lang/zh?next=/login")
    assert "关员登录" in client.get("/login").text


def test_an_english_item_and_consumer_answer(
    web: Callable[..., TestClient], filed: dict[str, str], officers: None
) -> None:
    client = web(review_rate=1.0)
    send(client, filed, a_set(1))
    sign_in(client, "rev")
    client.cookies.set("lang", "en")
    bench = client.get("/workbench").text
    number = re.search(r'data-invt="(\w+)"', bench).group(1)  # type: ignore[union-attr]
    item = client.get(f"/workbench/items/{number}").text
    assert "Why it is here" in item
    assert "Approve" in item
    assert "Payment enterprise" in item
    assert "原因" not in item
    assert "放行" not in item
    assert "支付企业" not in item
    wrong = client.post("/consumer", data={"name": "x", "idNumber": "1", "phone": "1"})
    assert "Give your name" in wrong.text
    client.cookies.set("lang", "zh")
    wrong = client.post("/consumer", data={"name": "x", "idNumber": "1", "phone": "1"})
    assert "请填写姓名" in wrong.text
    assert "Give your name" not in wrong.text


@pytest.mark.parametrize(
    "target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_the_switch_goes_back_only_to_a_local_path(
    target: str, web: Callable[..., TestClient]
) -> None:
    response = web().get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/monitor"
    assert response.headers["set-cookie"].startswith("lang=en;")


def test_the_switch_keeps_the_query_and_knows_only_zh_and_en(
    web: Callable[..., TestClient],
) -> None:
    client = web()
    back = client.get(
        "/lang/zh", params={"next": "/workbench?queue=inspection"}, follow_redirects=False
    )
    assert back.headers["location"] == "/workbench?queue=inspection"
    unknown = client.get("/lang/fr?next=/consumer", follow_redirects=False)
    assert unknown.status_code == 404
    assert "set-cookie" not in unknown.headers
    client.cookies.set("lang", "fr")  # a cookie with another value: the default
    assert '<html lang="zh-CN">' in client.get("/consumer").text


def used_messages() -> dict[str | tuple[str, str], str]:
    """Every msgid the templates and the Python of ``cbec.web`` use, with where."""
    with (WEB / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[str | tuple[str, str], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options_map, keywords=keywords
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def test_every_label_has_a_chinese_translation() -> None:
    used = used_messages()
    assert "Workbench" in used
    assert "Payment enterprise" in used
    assert ("%(n)s disagreement", "%(n)s disagreements") in used
    with i18n.po_path("zh_CN").open("rb") as f:
        catalogue = read_po(f, locale="zh_CN")
    untranslated = []
    for msgid, where in used.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalogue.get(key)
        strings = entry.string if entry is not None else ""
        texts = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(texts):
            untranslated.append(f"{where}: {msgid!r}")
            continue
        wanted = set(re.findall(r"%\(\w+\)s", key))
        for text in texts:
            assert set(re.findall(r"%\(\w+\)s", text)) == wanted, key
            assert HAN.search(text), f"{key!r} is not translated to Chinese: {text!r}"
    assert not untranslated, "\n".join(untranslated)
    stale = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id} - {
        m[0] if isinstance(m, tuple) else m for m in used
    }
    assert not stale, f"in the catalogue but used nowhere: {sorted(stale)}"


@pytest.mark.parametrize("name", CONVERTED)
def test_no_template_writes_a_label_twice(name: str) -> None:
    """No "Workbench 工作台" left: a template holds no Chinese of its own."""
    text = (WEB / "templates" / name).read_text(encoding="utf-8")
    assert not HAN.findall(text), name


def test_a_missing_mo_is_compiled_from_the_po(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "zh_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(i18n.po_path("zh_CN"), target / "messages.po")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    import gettext
    from io import BytesIO

    compiled = gettext.GNUTranslations(BytesIO(i18n.compile_catalogue("zh_CN")))
    assert compiled.gettext("Workbench") == "工作台"
    assert compiled.ngettext("%(n)s disagreement", "%(n)s disagreements", 3) == "%(n)s 处不一致"
    assert (target / "messages.mo").is_file()
    assert i18n.gettext("en", "Workbench") == "Workbench"
    assert i18n.gettext("zh", "Workbench") == "工作台"
