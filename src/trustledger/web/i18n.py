"""Languages: Simplified Chinese and English, from gettext catalogs compiled when first used.

The `.po` catalogs in `web/locale/` are read with Babel and compiled to `.mo` in memory, so no
build step is needed. A page's language is the `?lang=` switch (remembered in a cookie), then
the cookie, then the browser's `Accept-Language`, then Simplified Chinese.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("zh_Hans", "en")
DEFAULT = "zh_Hans"
COOKIE = "tl_lang"
# How each locale is named in its own language (the switch) and in an `lang` attribute.
NAMES = {"zh_Hans": "简体中文", "en": "English"}
HTML_LANG = {"zh_Hans": "zh-Hans", "en": "en"}


@dataclass(frozen=True)
class Language:
    code: str
    translations: gettext.NullTranslations

    @property
    def html(self) -> str:
        return HTML_LANG[self.code]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


@cache
def language(code: str) -> Language:
    """The compiled catalog of a locale (once per process)."""
    po = resources.files("trustledger.web").joinpath(f"locale/{code}/LC_MESSAGES/messages.po")
    with po.open("rb") as f:
        catalog = read_po(f, locale=code.replace("_Hans", ""))
    mo = BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Language(code, gettext.GNUTranslations(mo))


def normalize(tag: str | None) -> str | None:
    """A supported locale for a language tag (`zh-CN`, `zh-Hans`, `zh`, `en-GB`), or None."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    if tag in ("zh-hant", "zh-tw", "zh-hk", "zh-mo") or tag.startswith("zh-hant-"):
        return None  # Traditional Chinese is not offered: let the next preference decide
    if tag == "zh" or tag.startswith("zh-"):
        return "zh_Hans"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The best supported locale of an `Accept-Language` header, by quality."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        code = normalize(tag)
        if code and q > 0:
            ranked.append((-q, i, code))
    return min(ranked)[2] if ranked else None


def choose(switch: str | None, cookie: str | None, accept: str | None) -> str:
    return normalize(switch) or normalize(cookie) or from_accept_language(accept) or DEFAULT
