"""The pages in Chinese (the default) or English, chosen per browser by the ``lang`` cookie.

Labels are written in English in the templates (``{{ _("Workbench") }}``, ``{% trans %}``)
and in Python (marked with :func:`N_`); the Chinese comes from the gettext catalogue
``locale/zh_CN/LC_MESSAGES/messages.po``, compiled by Babel to ``messages.mo``
(``make install`` does it; when the ``.mo`` is missing or older than the ``.po`` it is
compiled here on first use). Re-extract after changing a label::

    pybabel extract -F src/cbec/web/babel.cfg -k N_ -o /tmp/messages.pot src/cbec/web
    pybabel update -i /tmp/messages.pot -d src/cbec/web/locale -D messages -l zh_CN

Status texts, reasons and other words that come from data are shown as they are.
"""

from __future__ import annotations

import gettext as gettext_module
import os
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi import Request
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
DEFAULT: Lang = "zh"
COOKIE = "lang"
#: The ``<html lang>`` of each language.
HTML_LANG: dict[Lang, str] = {"zh": "zh-CN", "en": "en"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
#: The catalogue of each language (English is the msgids themselves).
CATALOGUES: dict[Lang, str | None] = {"zh": "zh_CN", "en": None}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Mark ``message`` for extraction; it is translated where it is shown.

    >>> N_("Review")
    'Review'
    """
    return message


def lang_of(request: Request) -> Lang:
    """The language the browser chose (its ``lang`` cookie), Chinese by default."""
    return parse(request.cookies.get(COOKIE))


def parse(value: str | None) -> Lang:
    """``"en"`` -> ``"en"``; anything else -> the default, Chinese.

    >>> parse("en"), parse("zh"), parse("fr"), parse(None)
    ('en', 'zh', 'zh', 'zh')
    """
    return "en" if value == "en" else DEFAULT


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogue(locale: str) -> bytes:
    """The ``.mo`` of ``locale``: the compiled file when it is up to date, else the
    ``.po`` compiled now (and written next to it when the directory is writable)."""
    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        return mo.read_bytes()
    with po.open("rb") as f:
        catalogue = read_po(f, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    data = buffer.getvalue()
    try:
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")  # each process its own
        tmp.write_bytes(data)
        tmp.replace(mo)
    except OSError:
        pass  # an installed, read-only package: the catalogue lives in memory only
    return data


@cache
def translations(lang: Lang) -> gettext_module.NullTranslations:
    """The gettext translations of ``lang`` (loaded once)."""
    locale = CATALOGUES[lang]
    if locale is None:
        return gettext_module.NullTranslations()
    return gettext_module.GNUTranslations(BytesIO(compile_catalogue(locale)))


def gettext(lang: Lang, message: str) -> str:
    """``message`` in ``lang``: ``gettext("zh", "Workbench")`` -> ``"工作台"``."""
    return translations(lang).gettext(message)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return gettext(parse(context.get("lang")), message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(parse(context.get("lang"))).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """Add the i18n extension to ``env``; each page's ``lang`` (in its context) picks the
    catalogue, so one environment serves both languages at once."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )


def context(request: Request) -> dict[str, Any]:
    """What every page needs to speak the browser's language."""
    lang = lang_of(request)
    return {"lang": lang, "html_lang": HTML_LANG[lang]}
