"""The pages: every page against every role, in both languages, with one h1 and every input
labelled; sign-in and sign-out; CSRF; filing a dispute and deciding it through the forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import act
from tests.due_process.conftest import PERSON, Keys, days, record, report
from tests.due_process.test_permissions import _walk
from tests.web.conftest import csrf, sign_in, signed_in, structure
from trustledger.api import create_app
from trustledger.domain.roles import PERMISSIONS, Permission, Role
from trustledger.services.admin.keys import create_key, revoke_key
from trustledger.services.admin.rulebooks import example_rulebook_text, install
from trustledger.services.context import Ledger
from trustledger.services.integrity import commitments, complaints

PUBLIC = "public"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
BUREAU = "cn-uscc:111100000000000030"
COMPANY = "cn-uscc:91350100M000100Y43"
DECIDERS = {
    Permission.DISPUTES_DECIDE,
    Permission.PROPOSALS_DECIDE,
    Permission.REPAIRS_DECIDE,
    Permission.COMPLAINTS_DECIDE,
}

# Every page (GET) and who may see it: the public, or the roles holding one of the permissions.
PAGES: dict[str, str | set[Permission]] = {
    "/": PUBLIC,
    "/rulebook": PUBLIC,
    "/rulebook/diff": PUBLIC,
    "/lists/{code}": PUBLIC,
    "/statistics": PUBLIC,
    "/public-bodies": PUBLIC,
    "/public-bodies/{body_id}": PUBLIC,
    "/signin": PUBLIC,
    "/me": {Permission.SELF_READ},
    "/me/report": {Permission.SELF_READ},
    "/me/export.json": {Permission.SELF_READ},
    "/me/disputes/new": {Permission.SELF_WRITE},
    "/me/disputes/{dispute_id}": {Permission.SELF_READ},
    "/review": DECIDERS,
    "/agency": {Permission.RECORDS_WRITE},
    "/agency/upload": {Permission.RECORDS_WRITE},
    "/admin": {Permission.ADMIN_MANAGE, Permission.AUDIT_READ},
}
FILLED = {
    "/lists/{code}": "/lists/dishonest-debtors",
    "/public-bodies/{body_id}": f"/public-bodies/{BUREAU}",
}
# Every form's target (POST) and who may send it.
FORMS: dict[str, str | set[Permission]] = {
    "/signin": PUBLIC,
    "/signout": PUBLIC,
    "/me/consent": {Permission.SELF_WRITE},
    "/me/disputes": {Permission.SELF_WRITE},
    "/me/complaints": {Permission.SELF_WRITE},
    "/review/{kind}/{case_id}": {Permission.DISPUTES_DECIDE},
    "/agency/records": {Permission.RECORDS_WRITE},
    "/agency/fulfil": {Permission.RECORDS_WRITE},
    "/agency/void": {Permission.RECORDS_WRITE},
    "/agency/commitments": {Permission.COMMITMENTS_WRITE},
    "/agency/payments": {Permission.COMMITMENTS_WRITE},
    "/agency/upload": {Permission.RECORDS_WRITE},
    "/admin/keys": {Permission.ADMIN_MANAGE},
    "/admin/keys/{key_id}/revoke": {Permission.ADMIN_MANAGE},
    "/admin/rulebooks": {Permission.ADMIN_MANAGE},
    "/admin/sources": {Permission.ADMIN_MANAGE},
}


def world(ledger: Ledger, client: TestClient, keys: Keys, day: date) -> dict[str, int]:
    """Two records about PERSON, one of them disputed, and a listed company."""
    first, second = report(
        client,
        keys.court,
        record("(2026)W1", day - days(40)),
        record("(2026)W2", day - days(40), subject="cn-uscc:91350100M000100Y43"),
    )
    filed = client.post(
        "/v1/me/disputes", json={"record": first, "grounds": "Not me."}, headers=keys.person
    )
    assert filed.status_code == 200, filed.text
    bodies(ledger, day)
    return {"record": first, "company_record": second, "dispute": filed.json()["id"]}


def bodies(ledger: Ledger, day: date) -> None:
    """A public body with a post, a commitment kept late and one overdue (owed to COMPANY)."""
    act(ledger, commitments.add_body, BUREAU, "City Transport Bureau")
    act(ledger, commitments.add_post, BUREAU, "director", PERSON, day - days(400))
    for ref, accepted in (("INV-1", day - days(200)), ("INV-2", day - days(90))):
        act(
            ledger,
            commitments.add_commitment,
            "city-integrity",
            body=BUREAU,
            counterparty=COMPANY,
            kind="payment",
            amount="10000",
            accepted_on=accepted,
            sme=True,
            post="director",
            reference=ref,
        )
    act(ledger, commitments.pay, "city-integrity", "INV-1", day - days(150), "10000")


def allowed(role: Role, who: str | set[Permission]) -> bool:
    return who == PUBLIC or bool(PERMISSIONS[role] & set(who))


def test_the_table_covers_every_page(ledger: Ledger) -> None:
    app = create_app(ledger)
    pages = {p for m, p in _walk(app.routes) if m == "GET" and not p.startswith("/v1")}
    pages -= {"/docs", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs/oauth2-redirect"}
    assert pages == set(PAGES)


def test_every_form_against_every_role(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys
) -> None:
    """Without a session a form is 401; a role without the permission 403, with or without a
    good CSRF token; with the permission, the form is handled (an empty one is refused as
    invalid, never as forbidden)."""
    app = create_app(ledger)
    forms = {p for m, p in _walk(app.routes) if m == "POST" and not p.startswith("/v1")}
    assert forms == set(FORMS)
    anonymous = browser()
    token = csrf(anonymous)
    for form, who in FORMS.items():
        if who == PUBLIC:
            continue
        path = form.replace("{kind}/{case_id}", "dispute/1").replace("{key_id}", "none")
        assert anonymous.post(path, data={"csrf": token}).status_code == 401, form
    for role, name in Keys.ROLE_KEY.items():
        client = signed_in(browser, keys.secret[name])
        token = csrf(client)
        for form, who in FORMS.items():
            if who == PUBLIC:
                continue
            path = form.replace("{kind}/{case_id}", "dispute/1").replace("{key_id}", "none")
            r = client.post(path, data={"csrf": token})
            if allowed(role, who):
                assert r.status_code not in (401, 403), (role, form, r.status_code)
            else:
                assert r.status_code == 403, (role, form, r.status_code)


def test_every_page_against_every_role(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    api = browser()
    ids = world(ledger, api, keys, day)

    def path(page: str) -> str:
        return FILLED.get(page, page).replace("{dispute_id}", str(ids["dispute"]))

    anonymous = browser()
    for page, who in PAGES.items():
        r = anonymous.get(path(page))
        if who == PUBLIC:
            assert r.status_code == 200, page
        else:
            assert r.status_code == 303, page
            assert r.headers["location"].startswith("/signin?next="), page
    for role, name in Keys.ROLE_KEY.items():
        client = signed_in(browser, keys.secret[name])
        for page, who in PAGES.items():
            r = client.get(path(page))
            expected = 200 if allowed(role, who) else 403
            assert r.status_code == expected, (role, page, r.status_code)
    # Another subject never sees PERSON's dispute.
    other = signed_in(browser, keys.secret["other"])
    assert other.get(f"/me/disputes/{ids['dispute']}").status_code == 404


def _html_pages(browser: Callable[[], TestClient], keys: Keys, ids: dict[str, int]) -> list[Any]:
    public = browser()
    person = signed_in(browser, keys.secret["person"])
    reviewer = signed_in(browser, keys.secret["reviewer"])
    court = signed_in(browser, keys.secret["court"])
    admin = signed_in(browser, keys.secret["admin"])
    wanted = [
        (public, "/"),
        (public, "/rulebook"),
        (public, "/rulebook/diff?from=2026.1&to=2026.1"),
        (public, "/lists/dishonest-debtors"),
        (public, "/statistics"),
        (public, "/public-bodies"),
        (public, f"/public-bodies/{BUREAU}"),
        (public, "/signin"),
        (person, "/me"),
        (person, "/me/disputes/new"),
        (person, f"/me/disputes/{ids['dispute']}"),
        (person, "/review"),  # the 403 page
        (reviewer, "/review"),
        (court, "/agency"),
        (court, "/agency/upload"),
        (admin, "/admin"),
    ]
    return [(path, client.get(path)) for client, path in wanted]


def test_both_languages_one_h1_and_labelled_inputs(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    ids = world(ledger, browser(), keys, day)
    for lang, html_lang in (("zh-CN,zh;q=0.9", "zh-Hans"), ("en-GB,en;q=0.8", "en")):
        for path, r in _html_pages_in(browser, keys, ids, lang):
            assert r.headers["content-type"].startswith("text/html"), path
            page = structure(r.text)
            assert page.html_lang == html_lang, (path, page.html_lang)
            assert page.h1 == 1, (path, page.h1)
            assert page.unlabelled() == [], (path, page.unlabelled())
            if html_lang == "zh-Hans":
                assert CHINESE.search(r.text.split("<main", 1)[1]), path
            else:
                assert not CHINESE.search(r.text.split("<main", 1)[1]), path


def _html_pages_in(
    browser: Callable[[], TestClient], keys: Keys, ids: dict[str, int], accept: str
) -> list[Any]:
    def new() -> TestClient:
        client = browser()
        client.headers["Accept-Language"] = accept
        return client

    return _html_pages(new, keys, ids)


def test_the_language_follows_the_browser_and_a_switch_is_remembered(client: TestClient) -> None:
    assert 'lang="zh-Hans"' in client.get("/").text  # no preference: Simplified Chinese
    client.headers["Accept-Language"] = "en-US,en;q=0.9,zh;q=0.5"
    r = client.get("/")
    assert 'lang="en"' in r.text and "Principles" in r.text
    r = client.get("/rulebook?lang=zh_Hans")
    assert 'lang="zh-Hans"' in r.text and "记录类型" in r.text
    assert "tl_lang=zh_Hans" in r.headers["set-cookie"]
    r = client.get("/")  # remembered over Accept-Language
    assert 'lang="zh-Hans"' in r.text and "原则" in r.text
    r = client.get("/statistics?lang=en")
    assert 'lang="en"' in r.text and "Subjects per tier" in r.text
    assert 'lang="en"' in client.get("/").text


def test_sign_in_and_out(ledger: Ledger, client: TestClient, keys: Keys) -> None:
    secret = keys.secret["person"]
    r = sign_in(client, "tlk_000000000000_forged")
    assert r.status_code == 401 and "tl_session" not in r.headers.get("set-cookie", "")
    r = sign_in(client, secret, next="/me/disputes/new")
    assert r.status_code == 303 and r.headers["location"] == "/me/disputes/new"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tl_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    key_id, key_secret = secret.split("_", 2)[1:]  # a secret may hold "_"
    assert key_id in cookie and key_secret not in cookie  # the key's id, never its secret
    assert client.get("/me").status_code == 200
    # Only a path on this site is followed after signing in.
    for target in ("//evil.example/", "/\t/evil.example", "/\\evil.example", "https://e.example"):
        other = TestClient(client.app, follow_redirects=False)
        r = sign_in(other, secret, next=target)
        assert r.headers["location"] == "/me", target
    assert client.get("/me").headers["cache-control"] == "no-store"
    # A forged or tampered cookie is no session.
    forged = TestClient(client.app, follow_redirects=False)
    forged.cookies.set("tl_session", cookie.split(";")[0].split("=", 1)[1][:-4] + "0000")
    assert forged.get("/me").status_code == 303
    # Signing out ends the session.
    r = client.post("/signout", data={"csrf": csrf(client, "/me")})
    assert r.status_code == 303
    assert client.get("/me").status_code == 303
    # A revoked key ends the sessions signed in with it.
    assert other.get("/me").status_code == 200
    act(ledger, revoke_key, key_id)
    assert other.get("/me").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(
    browser: Callable[[], TestClient], keys: Keys
) -> None:
    client = browser()
    r = client.post("/signin", data={"key": keys.secret["person"]})
    assert r.status_code == 403 and "tl_session" not in r.headers.get("set-cookie", "")
    person = signed_in(browser, keys.secret["person"])
    token = csrf(person, "/me")
    assert person.post("/me/consent", data={"consent": "yes"}).status_code == 403
    assert person.post("/me/consent", data={"consent": "yes", "csrf": "x" * 64}).status_code == 403
    # A token from another browser does not fit this browser's cookie.
    stranger = csrf(browser(), "/signin")
    r = person.post("/me/consent", data={"consent": "yes", "csrf": stranger})
    assert r.status_code == 403
    r = person.post("/me/consent", data={"consent": "yes", "csrf": token})
    assert r.status_code == 303
    assert "You have consented to scoring." in person.get("/me?lang=en").text
    assert person.post("/signout", data={}).status_code == 403


def test_a_dispute_is_filed_followed_and_decided_through_the_forms(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    api = browser()
    [rec] = report(api, keys.court, record("(2026)D1", day - days(10)))
    person = signed_in(browser, keys.secret["person"])
    person.headers["Accept-Language"] = "en"
    form = person.get(f"/me/disputes/new?record={rec}")
    assert f'<option value="{rec}" selected>' in form.text
    token = csrf(person, "/me/disputes/new")
    r = person.post("/me/disputes", data={"record": str(rec), "grounds": "  ", "csrf": token})
    assert r.status_code == 422 and "grounds" in r.text
    r = person.post(
        "/me/disputes", data={"record": str(rec), "grounds": "Paid in full.", "csrf": token}
    )
    assert r.status_code == 303, r.text
    dispute = int(r.headers["location"].rsplit("/", 1)[1])
    page = person.get(r.headers["location"])
    assert "Paid in full." in page.text and ">open<" in page.text
    disputes = api.get("/v1/disputes", headers=keys.reviewer).json()
    assert [(d["id"], d["record_id"], d["status"]) for d in disputes] == [(dispute, rec, "open")]
    # Filed twice: refused, the form says why.
    r = person.post("/me/disputes", data={"record": str(rec), "grounds": "x", "csrf": token})
    assert r.status_code in (409, 422)

    reviewer = signed_in(browser, keys.secret["reviewer"])
    queue = reviewer.get("/review?lang=en")
    assert f"Dispute {dispute}" in queue.text and "days left" in queue.text
    token = csrf(reviewer, "/review")
    r = reviewer.post(f"/review/dispute/{dispute}", data={"outcome": "upheld", "csrf": token})
    assert r.status_code == 422  # a decision needs a reason
    r = reviewer.post(
        f"/review/dispute/{dispute}",
        data={"outcome": "upheld", "reason": "Receipt verified.", "csrf": token},
    )
    assert r.status_code == 303
    again = reviewer.post(
        f"/review/dispute/{dispute}",
        data={"outcome": "rejected", "reason": "Too late.", "csrf": token},
    )
    assert again.status_code == 409  # decided once
    assert "upheld" in person.get(f"/me/disputes/{dispute}").text
    me = api.get("/v1/me", headers=keys.person).json()
    assert next(r for r in me["records"] if r["id"] == rec)["voided"] is True
    # The person may not decide.
    r = person.post(f"/review/dispute/{dispute}", data={"csrf": csrf(person, "/me")})
    assert r.status_code == 403


def test_the_review_queue_puts_overdue_first(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    api = browser()
    old, new = report(
        api,
        keys.court,
        record("(2026)Q1", day - days(90)),
        record("(2026)Q2", day - days(5)),
    )
    for rec in (new, old):
        r = api.post(
            "/v1/me/disputes", json={"record": rec, "grounds": "Wrong."}, headers=keys.person
        )
        assert r.status_code == 200
    with ledger.engine.begin() as conn:  # the older dispute is past its deadline
        conn.execute(
            text("UPDATE disputes SET filed_on = :f, due_on = :d WHERE record_id = :r"),
            {"f": day - days(60), "d": day - days(2), "r": old},
        )
    reviewer = signed_in(browser, keys.secret["reviewer"])
    page = reviewer.get("/review?lang=en").text
    assert page.index("overdue by 2 days") < page.index("days left")


def test_me_shows_the_waterfall_and_the_downloads(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    api = browser()
    report(
        api, keys.court, record("(2026)M1", day - days(20), subject="cn-uscc:91350100M000100Y43")
    )
    company = signed_in(browser, keys.secret["company"])
    page = company.get("/me?lang=en").text
    assert page.count('<svg role="img"') == 2 and "(2026)M1" in page and "-150" in page
    report_page = company.get("/me/report")
    assert report_page.headers["content-disposition"].startswith("attachment")
    assert "Credit report" in report_page.text
    export = company.get("/me/export.json")
    assert export.json()["subject"] == "cn-uscc:91350100M000100Y43"


def test_public_pages_mask_persons_and_diff_versions(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    api = browser()
    world(ledger, api, keys, day)
    client = browser()
    page = client.get("/lists/dishonest-debtors?lang=en").text
    assert PERSON not in page and "cn-uscc:91350100M000100Y43" in page
    r = client.get("/lists/dishonest-debtors", params={"q": "cn-rid:1"})
    assert r.status_code == 422
    assert client.get("/lists/credit-watch").status_code == 404  # not a public list
    stats = client.get("/statistics?lang=en").text
    assert stats.count("<svg") == 3
    changed = example_rulebook_text().replace('version: "2026.1"', 'version: "2026.2"', 1)
    changed = changed.replace("points: -150", "points: -160", 1)
    install(ledger, changed, actor="test")
    diff = client.get("/rulebook/diff", params={"from": "2026.1", "to": "2026.2", "lang": "en"})
    assert diff.status_code == 200
    assert "court.dishonest_debtor" in diff.text and "-150 → -160" in diff.text
    assert client.get("/rulebook/diff", params={"from": "1999", "to": "2026.2"}).status_code == 404
    assert "2026.2" in client.get("/rulebook").text


def test_the_catalogs_translate_every_message() -> None:
    """Every message of the template is in both catalogs; Chinese has every one translated."""
    from importlib import resources

    from babel.messages.pofile import read_po

    locale = resources.files("trustledger.web").joinpath("locale")
    with locale.joinpath("messages.pot").open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    for code in ("en", "zh_Hans"):
        with locale.joinpath(f"{code}/LC_MESSAGES/messages.po").open("rb") as f:
            catalog = {m.id: m.string for m in read_po(f) if m.id}
        assert wanted <= set(catalog), (code, wanted - set(catalog))
        if code == "zh_Hans":
            assert [m for m in wanted if not catalog[m]] == []


def test_an_agency_reports_fulfils_voids_and_uploads(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    court = signed_in(browser, keys.secret["court"])
    court.headers["Accept-Language"] = "en"
    page = court.get("/agency").text
    assert 'value="court.dishonest_debtor"' in page and 'value="tax.a_grade"' not in page
    token = csrf(court, "/agency")
    one = {
        "subject": PERSON,
        "type": "court.dishonest_debtor",
        "reference": "(2026)A1",
        "decided_on": (day - days(3)).isoformat(),
        "csrf": token,
    }
    r = court.post("/agency/records", data=one)
    assert r.status_code == 200 and "Stored" in r.text, r.text
    shown = re.search(r"record #(\d+)", r.text)
    assert shown, r.text
    assert court.post("/agency/records", data=one).text.count("duplicate") >= 1
    bad = {**one, "reference": "(2026)A2", "subject": "cn-rid:123"}
    r = court.post("/agency/records", data=bad)
    assert r.status_code == 422 and "subject" in r.text
    assert 'value="(2026)A2"' in r.text  # the form keeps what was typed
    r = court.post("/agency/records", data={**one, "decided_on": (day - days(4)).isoformat()})
    assert r.status_code == 409  # same reference, other content
    with ledger.uow() as uow:
        [stored] = uow.records.all_of_subject(PERSON)
    assert stored["id"] == int(shown.group(1))
    r = court.post(
        "/agency/fulfil",
        data={"record": str(stored["id"]), "fulfilled_on": day.isoformat(), "csrf": token},
    )
    assert r.status_code == 200 and "marked fulfilled" in r.text
    r = court.post("/agency/void", data={"record": str(stored["id"]), "reason": "", "csrf": token})
    assert r.status_code == 422
    r = court.post(
        "/agency/void", data={"record": str(stored["id"]), "reason": "Clerical.", "csrf": token}
    )
    assert r.status_code == 200 and "voided" in r.text
    traffic = signed_in(browser, keys.secret["traffic"])  # another source's record: not found
    r = traffic.post(
        "/agency/void",
        data={"record": str(stored["id"]), "reason": "x", "csrf": csrf(traffic, "/agency")},
    )
    assert r.status_code == 404

    decided = (day - days(2)).isoformat()
    csv_text = (
        "subject,type,reference,decided_on\n"
        f"{PERSON},court.dishonest_debtor,(2026)U1,{decided}\n"
        f"cn-rid:1,court.dishonest_debtor,(2026)U2,{decided}\n"
        f"{PERSON},court.dishonest_debtor,(2026)U1,{decided}\n"
    )
    r = court.post(
        "/agency/upload",
        data={"csrf": token},
        files={"file": ("records.csv", csv_text.encode(), "text/csv")},
    )
    assert r.status_code == 200, r.text
    page = structure(r.text)
    assert page.h1 == 1
    assert re.search(r"Stored</th><td class=\"num\">1<", r.text)
    assert re.search(r"duplicate\)</th><td class=\"num\">1<", r.text)
    assert re.search(r"<td class=\"num\">3</td><td>subject: ", r.text)  # line 3 and why
    r = court.post("/agency/upload", files={"file": ("records.csv", csv_text.encode(), "text/csv")})
    assert r.status_code == 403  # no CSRF token


def test_an_administrator_manages_keys_rulebooks_and_sources(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys
) -> None:
    admin = signed_in(browser, keys.secret["admin"])
    admin.headers["Accept-Language"] = "en"
    token = csrf(admin, "/admin")
    r = admin.post(
        "/admin/keys",
        data={"role": "subject", "name": "Zhang", "subject": "cn-rid:1", "csrf": token},
    )
    assert r.status_code == 422 and 'value="Zhang"' in r.text
    r = admin.post(
        "/admin/keys",
        data={"role": "subject", "name": "Zhang", "subject": PERSON, "csrf": token},
    )
    assert r.status_code == 200
    secret = re.search(r"<code>(tlk_[^<]+)</code>", r.text)
    assert secret and "shown once" in r.text
    holder = signed_in(browser, secret.group(1))
    assert holder.get("/me").status_code == 200
    key_id = secret.group(1).split("_")[1]
    r = admin.post(f"/admin/keys/{key_id}/revoke", data={"csrf": token})
    assert r.status_code == 303
    assert holder.get("/me").status_code == 303  # its session ended with the key
    assert "revoked" in admin.get("/admin").text

    r = admin.post("/admin/rulebooks", data={"text": "rulebook: [", "csrf": token})
    assert r.status_code == 422 and "YAML" in r.text
    text = example_rulebook_text().replace('version: "2026.1"', 'version: "2026.3"', 1)
    r = admin.post("/admin/rulebooks", data={"text": text, "csrf": token})
    assert r.status_code == 303
    assert "2026.3" in admin.get("/rulebook").text

    r = admin.post(
        "/admin/sources", data={"code": "x", "kind": "nonsense", "name": "X", "csrf": token}
    )
    assert r.status_code == 409
    r = admin.post(
        "/admin/sources",
        data={"code": "county-court", "kind": "court", "name": "County court", "csrf": token},
    )
    assert r.status_code == 303
    assert "county-court" in admin.get("/admin").text
    with ledger.uow() as uow:
        actions = [e.action for e in uow.audit.events(limit=10_000)]
    assert {"key.create", "key.revoke", "rulebook.activate", "source.add"} <= set(actions)


def test_a_reviewer_decides_a_proposal_and_a_repair_through_the_forms(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    api = browser()
    [rec] = report(api, keys.court, record("(2026)R1", day - days(30)))
    asked = api.post(
        "/v1/me/repairs", json={"record": rec, "commitment": "I will pay."}, headers=keys.person
    )
    assert asked.status_code == 200, asked.text
    with ledger.uow() as uow:
        proposal = uow.proposals.add(
            subject=PERSON, list="credit-watch", because="tier:D", proposed_on=day, status="pending"
        )
        uow.commit()
    reviewer = signed_in(browser, keys.secret["reviewer"])
    page = reviewer.get("/review?lang=en").text
    assert f"List proposal {proposal}" in page and f"Repair request {asked.json()['id']}" in page
    assert "no deadline" in page
    token = csrf(reviewer, "/review")
    r = reviewer.post(
        f"/review/proposal/{proposal}",
        data={"outcome": "upheld", "reason": "x", "csrf": token},  # not a proposal's outcome
    )
    assert r.status_code == 422
    r = reviewer.post(
        f"/review/proposal/{proposal}",
        data={"outcome": "reject", "reason": "Tier D alone is no reason.", "csrf": token},
    )
    assert r.status_code == 303
    r = reviewer.post(
        f"/review/repair/{asked.json()['id']}",
        data={"outcome": "approve", "reason": "First instalment paid.", "csrf": token},
    )
    assert r.status_code == 303
    assert "No open cases." in reviewer.get("/review?lang=en").text
    assert reviewer.post("/review/other/1", data={"csrf": token}).status_code == 404
    assert api.get("/v1/proposals", headers=keys.reviewer).json()[0]["status"] == "rejected"
    assert api.get("/v1/repairs", headers=keys.reviewer).json()[0]["status"] == "approved"


def test_the_integrity_ranking_and_a_body(
    ledger: Ledger, browser: Callable[[], TestClient], day: date
) -> None:
    bodies(ledger, day)
    client = browser()
    client.headers["Accept-Language"] = "en"
    r = client.get("/public-bodies")
    assert r.status_code == 200
    assert "City Transport Bureau" in r.text and "/public-bodies/cn-uscc%3A1111" in r.text
    assert r.text.count('<svg role="img"') == 1 and 'class="num overdue">1<' in r.text
    r = client.get(f"/public-bodies/{BUREAU}")
    assert r.status_code == 200 and "INV-2" in r.text and "director" in r.text
    assert '<svg role="img"' in r.text and "Overdue commitments" in r.text
    assert PERSON not in r.text  # who holds a post is for reviewers, not on the public page
    assert client.get("/public-bodies/cn-uscc:111100000000000043").status_code == 404
    assert client.get("/public-bodies/nonsense").status_code == 404
    assert "政务诚信" in client.get("/public-bodies?lang=zh_Hans").text
    assert "/public-bodies" in client.get("/").text


def test_an_integrity_office_registers_a_commitment_and_records_a_payment(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    bodies(ledger, day)
    secret, _ = act(ledger, create_key, Role.AGENCY, "office", source="city-integrity")
    office = signed_in(browser, secret)
    office.headers["Accept-Language"] = "en"
    r = office.get("/agency")
    assert r.status_code == 200 and 'action="/agency/commitments"' in r.text
    assert "INV-2" in r.text  # its commitments, overdue first
    assert structure(r.text).unlabelled() == []
    zh = office.get("/agency?lang=zh_Hans")
    assert "登记承诺" in zh.text and structure(zh.text).unlabelled() == []
    office.get("/agency?lang=en")
    # A kind reporting no commitment's record type has no form; a court registers judgments.
    traffic = signed_in(browser, keys.secret["traffic"])
    assert 'action="/agency/commitments"' not in traffic.get("/agency").text
    court = signed_in(browser, keys.secret["court"])
    page = court.get("/agency").text
    assert '<option value="judgment"' in page and '<option value="payment"' not in page
    token = csrf(office, "/agency")
    form = {
        "csrf": token,
        "body": BUREAU,
        "counterparty": COMPANY,
        "kind": "payment",
        "reference": "INV-3",
        "amount": "2500",
        "accepted_on": (day - days(10)).isoformat(),
        "sme": "yes",
        "post": "director",
    }
    assert office.post("/agency/commitments", data={**form, "csrf": "x" * 64}).status_code == 403
    r = office.post("/agency/commitments", data=form)
    assert r.status_code == 200 and "Stored" in r.text and "INV-3" in r.text, r.text
    assert "Already stored (duplicate)" in office.post("/agency/commitments", data=form).text
    r = office.post("/agency/commitments", data={**form, "amount": "9"})
    assert r.status_code == 409 and "amount" in r.text
    r = office.post("/agency/commitments", data={**form, "reference": "INV-4", "accepted_on": "x"})
    assert r.status_code == 422 and "accepted_on" in r.text
    assert 'value="INV-4"' in r.text  # the form keeps what was typed
    r = office.post("/agency/commitments", data={**form, "counterparty": "cn-rid:123"})
    assert r.status_code == 422
    r = office.post("/agency/commitments", data={**form, "body": "cn-uscc:111100000000000043"})
    assert r.status_code == 404
    # The court may not register a payment (its kind does not report the mapped record type).
    r = court.post("/agency/commitments", data={**form, "csrf": csrf(court, "/agency")})
    assert r.status_code == 403
    # Payments: in part, then the rest; more than owed and an unknown reference refused.
    pay = {"csrf": token, "reference": "INV-2", "on": day.isoformat(), "amount": "4000"}
    r = office.post("/agency/payments", data=pay)
    assert r.status_code == 200 and "4000.00 paid, 6000.00 still owed" in r.text, r.text
    assert office.post("/agency/payments", data={**pay, "amount": "7000"}).status_code == 422
    assert office.post("/agency/payments", data={**pay, "reference": "NO"}).status_code == 404
    assert office.post("/agency/payments", data={**pay, "on": ""}).status_code == 422
    assert office.post("/agency/payments", data={**pay, "amount": "6000"}).status_code == 200
    assert office.post("/agency/payments", data={**pay, "amount": "1"}).status_code == 409
    with ledger.transaction("test") as ctx:
        [c] = [c for c in commitments.listing(ctx) if c["reference"] == "INV-2"]
    assert Decimal(c["owed"]) == 0 and not c["overdue"]


def test_a_company_complains_and_a_reviewer_decides_in_the_one_queue(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys, day: date
) -> None:
    ids = world(ledger, browser(), keys, day)
    company = signed_in(browser, keys.secret["company"])
    company.headers["Accept-Language"] = "en"
    r = company.get("/me")
    assert r.status_code == 200 and "Commitments public bodies owe you" in r.text
    assert "INV-2" in r.text and "(overdue)" in r.text
    assert structure(r.text).unlabelled() == [] and structure(r.text).h1 == 1
    zh = company.get("/me?lang=zh_Hans")
    assert "投诉" in zh.text and structure(zh.text).unlabelled() == []
    company.get("/me?lang=en")
    # A person owed nothing sees no such section.
    assert (
        "Commitments public bodies owe you"
        not in signed_in(browser, keys.secret["person"]).get("/me?lang=en").text
    )
    token = csrf(company, "/me")
    form = {
        "csrf": token,
        "grounds": "late",
        "commitment": "city-integrity|INV-2",
        "statement": "Invoice INV-2 of 10000 is unpaid after its due day.",
    }
    assert company.post("/me/complaints", data={**form, "csrf": "x" * 64}).status_code == 403
    r = company.post("/me/complaints", data={**form, "statement": " "})
    assert (
        r.status_code == 422 and "statement" in r.text and 'value="late" required checked' in r.text
    )
    assert company.post("/me/complaints", data={**form, "grounds": "x"}).status_code == 422
    assert company.post("/me/complaints", data={**form, "commitment": ""}).status_code == 422
    r = company.post("/me/complaints", data={**form, "commitment": "city-integrity|NO"})
    assert r.status_code == 404
    r = company.post("/me/complaints", data=form)
    assert r.status_code == 303 and r.headers["location"].startswith("/me?complaint=")
    unregistered = {
        **form,
        "grounds": "unregistered",
        "commitment": "",
        "body": BUREAU,
        "reference": "MY-77",
    }
    assert company.post("/me/complaints", data=unregistered).status_code == 303
    r = company.post("/me/complaints", data={**unregistered, "body": ""})
    assert r.status_code == 422
    page = company.get("/me").text
    assert "MY-77" in page and "paid late" in page and "never registered" in page
    # Another subject cannot complain about a commitment owed to the company.
    other = signed_in(browser, keys.secret["other"])
    r = other.post("/me/complaints", data={**form, "csrf": csrf(other, "/me")})
    assert r.status_code == 404
    # The reviewer's one queue: the complaints with the dispute, by due date.
    reviewer = signed_in(browser, keys.secret["reviewer"])
    reviewer.headers["Accept-Language"] = "en"
    r = reviewer.get("/review")
    assert r.text.count("Complaint ") >= 2 and f"Dispute {ids['dispute']}" in r.text
    assert structure(r.text).unlabelled() == []
    with ledger.transaction("test") as ctx:
        [first, *_] = [c.case.id for c in complaints.queue(ctx, status="open")]
    token = csrf(reviewer, "/review")
    r = reviewer.post(f"/review/complaint/{first}", data={"csrf": token, "outcome": "upheld"})
    assert r.status_code == 422  # no reason
    decided = {"csrf": token, "outcome": "upheld", "reason": "The bill is overdue."}
    r = reviewer.post(f"/review/complaint/{first}", data=decided)
    assert r.status_code == 303, r.text
    assert reviewer.post(f"/review/complaint/{first}", data=decided).status_code == 409
    assert reviewer.post("/review/complaint/99999", data=decided).status_code == 404
    assert f"/review/complaint/{first}" not in reviewer.get("/review").text
    assert "The bill is overdue." in company.get("/me").text
    # A role that may not decide complaints is refused.
    court = signed_in(browser, keys.secret["court"])
    assert court.post(f"/review/complaint/{first}", data=decided).status_code == 403


def test_administrators_and_auditors_see_the_log_checkpoint_and_its_verification(
    ledger: Ledger, browser: Callable[[], TestClient], keys: Keys
) -> None:
    auditor = signed_in(browser, keys.secret["auditor"])
    auditor.headers["Accept-Language"] = "en"
    page = auditor.get("/admin")
    assert page.status_code == 200
    assert "Transparency log" in page.text and "Tree size" in page.text
    assert "The log verifies" in page.text
    assert 'action="/admin/keys"' not in page.text  # keys are the administrator's
    admin = signed_in(browser, keys.secret["admin"])
    admin.headers["Accept-Language"] = "zh-CN"
    page = admin.get("/admin")
    assert "透明日志" in page.text and "日志验证通过" in page.text
    assert "/admin/keys" in page.text
