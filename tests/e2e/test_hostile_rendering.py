"""Markup typed into every text field a person can fill is shown as text on every page and in every mail that shows
it: never a tag of the page. Each field gets a marker of its own, so the test also proves each one was shown."""

from __future__ import annotations

import re

import aiohttp

from tests.support.desk import html_of
from tests.support.intake import bearer, customer_token

CUSTOMER = "hostil@example.com"


def marker(field: str) -> str:
    return f'<i id="x-{field}" onmouseover=alert(1)>{field}</i>'


RAW = re.compile(r"<i id=\"x-[a-z_]+\"")  # a marker that became a tag of the page


async def test_markup_in_every_text_field_is_text_on_every_page_and_in_every_mail(desk):
    agent = bearer(desk.agent_token)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:

        async def post(path: str, headers: dict, body: dict) -> dict:
            async with http.post(desk.intake + path, headers=headers, json=body) as answer:
                assert answer.status == 201, (path, answer.status, await answer.text())
                return await answer.json()

        body = {"category": "damaged_item", "description": marker("description"), "channel": "phone"}
        body |= {"customer_name": marker("customer_name"), "customer_email": CUSTOMER}
        body["order_number"] = marker("order_number")
        ticket = await post("/api/v1/tickets", agent, body)
        tid, link = ticket["ticket_id"], bearer(ticket["access_token"])
        on = f"/api/v1/tickets/{tid}"
        await post(f"{on}/messages", link, {"body": marker("reply")})
        await post(f"{on}/responses", agent, {"body": marker("response")})
        await post(f"{on}/notes", agent, {"body": marker("note")})
        await post(f"{on}/clarification-requests", agent, {"question": marker("question")})
        await post(f"{on}/return-labels", agent, {"carrier": "SEUR", "tracking_number": marker("label_tracking")})
        claim = {"carrier": "GLS", "tracking_number": marker("claim_tracking"), "reason": marker("claim_reason")}
        await post(f"{on}/courier-claims", agent, claim)
        await post(f"{on}/link-revocations", agent, {"reason": marker("revocation")})
        last = await post(f"{on}/resolve", agent, {"resolution": marker("resolution")})

        pages = {}
        sign_in = {"email": desk.agent.email, "password": desk.agent.password}
        async with http.post(desk.portal + "/agent/sign-in", data=sign_in) as signed_in:
            assert signed_in.status == 200
        for path in (f"/agent/tickets/{tid}?v={last['version']}", "/agent?view=all", "/agent/queue-rows?view=all"):
            async with http.get(desk.portal + path) as page:
                pages[path] = await page.text()
        pages["status page"] = await _customer_page(http, desk, tid)
        pages["intake form, refused"] = await _refused_form(http, desk)

    mails = {m["Subject"]: html_of(m) for m in await _mails_to(desk, CUSTOMER, count=6)}
    shown = "\n".join([*pages.values(), *mails.values()])
    for where, html in [*pages.items(), *mails.items()]:
        assert not RAW.search(html), (where, RAW.search(html)[0])
    fields = ("description", "customer_name", "order_number", "reply", "response", "note", "question")
    fields += ("label_tracking", "claim_tracking", "claim_reason", "revocation", "resolution", "form_description")
    missing = [f for f in fields if f"x-{f}&#34;" not in shown and f"x-{f}&quot;" not in shown]
    assert not missing, missing
    for field in fields:
        assert f"&lt;i id=&#34;x-{field}&#34;" in shown or f"&lt;i id=&quot;x-{field}&quot;" in shown, field


async def _customer_page(http: aiohttp.ClientSession, desk, ticket_id: str) -> str:
    """The status page of the ticket's customer, opened from a link as the mails give it."""
    mail = (await _mails_to(desk, CUSTOMER, count=1))[0]
    link = re.search(r'href="([^"]*/tickets/' + ticket_id + r'\?token=[^"]*)"', html_of(mail))
    assert link, "no link to the ticket in the acknowledgement"
    async with http.get(link[1].replace("&amp;", "&")) as page:
        return await page.text()


async def _refused_form(http: aiohttp.ClientSession, desk) -> str:
    """Intake's form shown again after a refusal, with what was typed (a shop customer's, without a category)."""
    async with http.get(f"{desk.intake}/?customer_token={customer_token()}"):
        pass
    form = aiohttp.FormData()
    form.add_field("description", marker("form_description"), content_type="text/plain")  # multipart, as the form
    form.add_field("customer_name", "Ana")
    async with http.post(f"{desk.intake}/form/tickets", data=form) as page:
        assert page.status == 422
        return await page.text()


async def _mails_to(desk, address: str, count: int) -> list:
    """The first ``count`` mails to ``address`` (waiting for them)."""
    await desk.mail(address, "", skip=count - 1)
    return [m for m in desk.sink.messages() if address in str(m["To"])][:count]


async def test_cr_lf_and_addresses_in_what_reaches_a_mail_header_stay_inside_their_header(desk):
    """A name or an address with a line break is refused; a name with addresses and quotes in it, long enough to be
    folded, stays the name of one recipient; the mails carry no header nobody set and go to the customer only."""
    agent = bearer(desk.agent_token)
    name = 'Eve "la de <intruso@evil.test>", ' + "Nombre muy largo; Bcc: victima@evil.test, " * 4
    body = {"category": "damaged_item", "description": "Rota\r\nBcc: otro@evil.test", "channel": "phone"}
    async with aiohttp.ClientSession() as http:
        for field, value in (
            ("customer_name", "Eve\r\nBcc: victima@evil.test"),
            ("customer_email", "a@b.es\r\nBcc: v@e.es"),
        ):
            hostile = {**body, "customer_name": "Eve", "customer_email": "crlf@example.com", field: value}
            async with http.post(desk.intake + "/api/v1/tickets", headers=agent, json=hostile) as refused:
                assert refused.status == 422, await refused.text()
                assert [e["field"] for e in (await refused.json())["errors"]] == [field]
        ticket = {**body, "customer_name": name, "customer_email": "crlf@example.com"}
        async with http.post(desk.intake + "/api/v1/tickets", headers=agent, json=ticket) as created:
            assert created.status == 201, await created.text()
            tid = (await created.json())["ticket_id"]
        reply = {"body": "Hola\r\nBcc: victima@evil.test\r\n\r\n<b>fin</b>"}
        async with http.post(f"{desk.intake}/api/v1/tickets/{tid}/responses", headers=agent, json=reply) as answered:
            assert answered.status == 201, await answered.text()
    mails = [await desk.mail("crlf@example.com", tid), await desk.mail("crlf@example.com", tid, skip=1)]
    for mail in mails:
        (recipient,) = mail["To"].addresses
        assert recipient.addr_spec == "crlf@example.com" and "Nombre muy largo" in recipient.display_name
        assert mail["X-Envelope-To"] == "crlf@example.com"
        assert mail["Bcc"] is None and mail["Cc"] is None
        assert all("evil.test" not in str(mail[h]) for h in ("From", "Reply-To", "Subject", "Message-ID"))
        assert b"\nBcc:" not in mail.as_bytes().split(b"\n\n", 1)[0]  # the reply's own lines stay in the body
