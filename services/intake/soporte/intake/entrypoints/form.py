"""The submission form (``GET /``): server-rendered, works without JavaScript, Spanish by default.

Guests verify email + order number first (the order is then pre-selected); shop
customers arrive with ``?customer_token=`` (kept in a cookie) and pick one of their
orders. Errors are shown next to their fields; success shows the ticket number.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from aiohttp import web

from soporte.platform.http import Problem

from . import keys
from .api import _submit, body_from_fields, create_guest_session_for
from .uploads import read_multipart
from .bodies import SubmitTicketBody

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
GUEST_COOKIE, CUSTOMER_COOKIE = "soporte_guest", "soporte_customer"
JINJA = web.AppKey("form_templates", jinja2.Environment)

TEXT = {
    "es": {
        "title": "Crear un ticket de soporte", "intro": "Si compró como invitado, indique su correo y el número de pedido.",
        "guest_heading": "Compré como invitado", "email": "Correo electrónico", "order_number": "Número de pedido",
        "continue": "Continuar", "signed_in_hint": "¿Tiene cuenta? Entre desde la tienda y vuelva con «Tickets de soporte».",
        "order": "Pedido", "no_order": "No es sobre un pedido", "category": "Tipo de consulta", "name": "Su nombre",
        "description": "Describa brevemente su consulta", "files": "Fotos y archivos",
        "files_hint": "Fotos del artículo recibido y de la pantalla rota nos ayudan a actuar antes (máx. 5 archivos, 10 MB cada uno).",
        "submit": "Enviar ticket", "thanks": "¡Gracias! Hemos recibido su ticket", "your_ticket": "Su número de ticket es",
        "missing": "Para actuar aún necesitamos", "follow": "Seguir mi ticket",
        "categories": {"damaged_item": "Artículo dañado", "wrong_item": "Artículo equivocado", "lcd_diagnosis": "Diagnóstico de pantalla LCD",
                       "troubleshooting": "Problema con una pantalla recibida", "pre_sales": "Consulta antes de comprar",
                       "order_status": "Estado del pedido", "return_request": "Devolución", "other": "Otra"},
    },
    "en": {
        "title": "Open a support ticket", "intro": "If you ordered as a guest, give your email and order number.",
        "guest_heading": "I ordered as a guest", "email": "Email", "order_number": "Order number", "continue": "Continue",
        "signed_in_hint": "Have an account? Sign in at the shop and come back through “Support tickets”.",
        "order": "Order", "no_order": "Not about an order", "category": "Kind of question", "name": "Your name",
        "description": "Describe your question briefly", "files": "Photos and files",
        "files_hint": "Photos of the item received and of the broken screen help us act sooner (up to 5 files, 10 MB each).",
        "submit": "Send ticket", "thanks": "Thank you! We received your ticket", "your_ticket": "Your ticket number is",
        "missing": "To act on it we still need", "follow": "Follow my ticket",
        "categories": {"damaged_item": "Damaged item", "wrong_item": "Wrong item", "lcd_diagnosis": "LCD diagnosis",
                       "troubleshooting": "Trouble with a screen received", "pre_sales": "Question before buying",
                       "order_status": "Order status", "return_request": "Return", "other": "Other"},
    },
}


def language(request: web.Request) -> str:
    asked = request.query.get("lang")
    if asked in TEXT:
        return asked
    return "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "es"


async def _principal(request: web.Request):
    auth = request.app[keys.AUTH]
    for cookie in (CUSTOMER_COOKIE, GUEST_COOKIE):
        token = request.cookies.get(cookie)
        if token and (principal := await auth.from_token(token)) and principal.kind in ("customer", "guest"):
            return principal
    return None


async def _page(request: web.Request, *, status: int = 200, errors=None, values=None, form_error=None, principal=None) -> web.Response:
    lang = language(request)
    principal = principal or await _principal(request)
    orders = await request.app[keys.ORDERS].of_customer(principal.customer_id) if principal and principal.kind == "customer" else []
    html = request.app[JINJA].get_template("form.html.j2").render(
        lang=lang, t=TEXT[lang], principal=principal, orders=orders, errors=errors or {}, values=values or {}, form_error=form_error)
    return web.Response(text=html, content_type="text/html", status=status)


async def show_form(request: web.Request) -> web.Response:
    if token := request.query.get("customer_token"):
        # The shop links here with a signed customer token; keep it in a cookie, drop it from the URL.
        response = web.HTTPSeeOther(f"/?lang={language(request)}")
        response.set_cookie(CUSTOMER_COOKIE, token, httponly=True, samesite="Lax", max_age=3600)
        raise response
    return await _page(request)


async def guest_login(request: web.Request) -> web.Response:
    form = await request.post()
    values = {"email": str(form.get("email", "")), "order_number": str(form.get("order_number", ""))}
    try:
        token = await create_guest_session_for(request, values["email"], values["order_number"])
    except Problem as problem:
        errors = {e.field: e.message for e in problem.errors}
        message = None if errors else problem.title
        return await _page(request, status=problem.status, errors=errors, values=values, form_error=message)
    response = web.HTTPSeeOther(f"/?lang={language(request)}")
    response.set_cookie(GUEST_COOKIE, token, httponly=True, samesite="Lax", max_age=3600)
    raise response


async def submit_form(request: web.Request) -> web.Response:
    principal = await _principal(request)
    if principal is None:
        return await _page(request, status=401, form_error=TEXT[language(request)]["intro"])
    values: dict = {}
    try:
        upload = await read_multipart(request, request.app[keys.FILES], request.app[keys.UPLOAD_LIMITS])
        values = dict(upload.fields)  # shown again as typed when something is refused
        body = body_from_fields(request, SubmitTicketBody, upload)
        try:
            result = await _submit(request, principal, body, upload)
        except BaseException:
            upload.discard(request.app[keys.FILES])
            raise
    except Problem as problem:
        errors = {e.field: e.message for e in problem.errors}
        return await _page(request, status=problem.status, errors=errors, values=values,
                           form_error=None if errors else (problem.detail or problem.title), principal=principal)
    ticket = json.loads(result.text)
    lang = language(request)
    html = request.app[JINJA].get_template("success.html.j2").render(
        lang=lang, t=TEXT[lang], ticket_id=ticket["ticket_id"], status_url=ticket["status_url"], missing=ticket["actionability"]["missing"])
    return web.Response(text=html, content_type="text/html", status=201)


def add_form_routes(app: web.Application) -> None:
    app[JINJA] = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    app.router.add_get("/", show_form)
    app.router.add_post("/form/guest", guest_login)
    app.router.add_post("/form/tickets", submit_form)
