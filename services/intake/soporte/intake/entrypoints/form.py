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
from pydantic import ValidationError

from soporte.platform.http import Problem

from . import keys
from .api import _submit, create_guest_session_for, present_fields
from .bodies import GuestSessionBody, SubmitTicketBody
from .uploads import files_kept_on_success, read_multipart

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
GUEST_COOKIE, CUSTOMER_COOKIE = "soporte_guest", "soporte_customer"
JINJA = web.AppKey("form_templates", jinja2.Environment)

TEXT = {
    "es": {
        "title": "Crear un ticket de soporte",
        "intro": "Si compró como invitado, indique su correo y el número de pedido.",
        "guest_heading": "Compré como invitado",
        "email": "Correo electrónico",
        "order_number": "Número de pedido",
        "continue": "Continuar",
        "signed_in_hint": "¿Tiene cuenta? Entre desde la tienda y vuelva con «Tickets de soporte».",
        "order": "Pedido",
        "no_order": "No es sobre un pedido",
        "category": "Tipo de consulta",
        "name": "Su nombre",
        "description": "Describa brevemente su consulta",
        "files": "Fotos y archivos",
        "files_hint": "Fotos del artículo recibido y de la pantalla rota nos ayudan a actuar antes "
        "(máx. {max_files} archivos, {file_mb} MB cada uno).",
        "submit": "Enviar ticket",
        "thanks": "¡Gracias! Hemos recibido su ticket",
        "your_ticket": "Su número de ticket es",
        "missing": "Para actuar aún necesitamos",
        "follow": "Seguir mi ticket",
        "errors": {
            "required": "Este campo es obligatorio.",
            "too_long": "Es demasiado largo.",
            "choice": "Elija una opción de la lista.",
            "email": "Escriba un correo electrónico válido.",
            "invalid": "Valor no válido.",
            "order": "Elija uno de sus pedidos.",
            "file-too-large": "Cada archivo puede ocupar como máximo {file_mb} MB.",
            "total-too-large": "Los archivos pueden ocupar como máximo {total_mb} MB en total.",
            "file-type": "Solo aceptamos fotos, PDF, texto o vídeo (se comprueba el contenido, no el nombre).",
            "file-name": "Cambie el nombre del archivo: no puede contener rutas ni caracteres especiales.",
            "too-many-files": "Como máximo {max_files} archivos.",
            "guest": "No encontramos un pedido con ese correo y número de pedido.",
            "too-many-attempts": "Demasiados intentos. Vuelva a probar en unos minutos.",
            "session": "Su sesión ha caducado: indique de nuevo su correo y número de pedido.",
        },
        "missing_items": {
            "order_number": "el número de pedido",
            "photo_of_item": "una foto del artículo",
            "detailed_description": "una descripción más detallada",
        },
        "reply_hint": "Puede enviárnoslo respondiendo desde la página de su ticket.",
        "categories": {
            "damaged_item": "Artículo dañado",
            "wrong_item": "Artículo equivocado",
            "lcd_diagnosis": "Diagnóstico de pantalla LCD",
            "troubleshooting": "Problema con una pantalla recibida",
            "pre_sales": "Consulta antes de comprar",
            "order_status": "Estado del pedido",
            "return_request": "Devolución",
            "other": "Otra",
        },
    },
    "en": {
        "title": "Open a support ticket",
        "intro": "If you ordered as a guest, give your email and order number.",
        "guest_heading": "I ordered as a guest",
        "email": "Email",
        "order_number": "Order number",
        "continue": "Continue",
        "signed_in_hint": "Have an account? Sign in at the shop and come back through “Support tickets”.",
        "order": "Order",
        "no_order": "Not about an order",
        "category": "Kind of question",
        "name": "Your name",
        "description": "Describe your question briefly",
        "files": "Photos and files",
        "files_hint": "Photos of the item received and of the broken screen help us act sooner "
        "(up to {max_files} files, {file_mb} MB each).",
        "submit": "Send ticket",
        "thanks": "Thank you! We received your ticket",
        "your_ticket": "Your ticket number is",
        "missing": "To act on it we still need",
        "follow": "Follow my ticket",
        "errors": {
            "required": "This field is required.",
            "too_long": "This is too long.",
            "choice": "Choose one of the options.",
            "email": "Enter a valid email address.",
            "invalid": "Invalid value.",
            "order": "Choose one of your orders.",
            "file-too-large": "Each file may be at most {file_mb} MB.",
            "total-too-large": "The files may be at most {total_mb} MB in all.",
            "file-type": "We accept photos, PDF, text or video only (judged by the content, not the name).",
            "file-name": "Rename the file: its name may not hold paths or special characters.",
            "too-many-files": "At most {max_files} files.",
            "guest": "We could not find an order with that email and order number.",
            "too-many-attempts": "Too many attempts. Try again in a few minutes.",
            "session": "Your session has expired: give your email and order number again.",
        },
        "missing_items": {
            "order_number": "the order number",
            "photo_of_item": "a photo of the item",
            "detailed_description": "a more detailed description",
        },
        "reply_hint": "You can send it by replying from your ticket's page.",
        "categories": {
            "damaged_item": "Damaged item",
            "wrong_item": "Wrong item",
            "lcd_diagnosis": "LCD diagnosis",
            "troubleshooting": "Trouble with a screen received",
            "pre_sales": "Question before buying",
            "order_status": "Order status",
            "return_request": "Return",
            "other": "Other",
        },
    },
}


# pydantic error types -> the form's own words
_ERROR_WORDS = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "enum": "choice",
    "literal_error": "choice",
    "value_error": "email",
    "string_type": "invalid",
}


def field_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """Pydantic's refusals as the form shows them, next to each field, in the page's language."""
    words = TEXT[lang]["errors"]
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        name = ".".join(str(p) for p in err["loc"]) or "form"
        errors.setdefault(name, words[_ERROR_WORDS.get(err["type"], "invalid")])
    return errors


def problem_errors(problem: Problem, lang: str, limits) -> dict[str, str]:
    """A refused upload or order, in the page's language, keyed by field."""
    words = TEXT[lang]["errors"]
    reason = problem.extra.get("reason")
    if reason in words:
        message = words[reason].format(
            file_mb=limits.max_file_bytes // 2**20, total_mb=limits.max_total_bytes // 2**20, max_files=limits.max_files
        )
        return {"files": message}
    fields = {e.field for e in problem.errors}
    return {name: words["order"] if name == "order_number" else words["invalid"] for name in fields}


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


async def _page(
    request: web.Request, *, status: int = 200, errors=None, values=None, form_error=None, principal=None
) -> web.Response:
    lang = language(request)
    principal = principal or await _principal(request)
    orders = (
        await request.app[keys.ORDERS].of_customer(principal.customer_id)
        if principal and principal.kind == "customer"
        else []
    )
    limits = request.app[keys.UPLOAD_LIMITS]
    html = (
        request.app[JINJA]
        .get_template("form.html.j2")
        .render(
            lang=lang,
            t=TEXT[lang],
            principal=principal,
            orders=orders,
            errors=errors or {},
            values=values or {},
            form_error=form_error,
            files_hint=TEXT[lang]["files_hint"].format(
                max_files=limits.max_files, file_mb=limits.max_file_bytes // 2**20
            ),
        )
    )
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
    values = {"email": str(form.get("email", "")).strip(), "order_number": str(form.get("order_number", "")).strip()}
    lang = language(request)
    try:
        GuestSessionBody(**values)
    except ValidationError as exc:
        return await _page(request, status=422, errors=field_errors(exc, lang), values=values)
    try:
        token = await create_guest_session_for(request, values["email"], values["order_number"])
    except Problem as problem:
        message = TEXT[lang]["errors"]["too-many-attempts" if problem.status == 429 else "guest"]
        return await _page(request, status=problem.status, values=values, form_error=message)
    response = web.HTTPSeeOther(f"/?lang={language(request)}")
    response.set_cookie(GUEST_COOKIE, token, httponly=True, samesite="Lax", max_age=3600)
    raise response


async def submit_form(request: web.Request) -> web.Response:
    principal = await _principal(request)
    lang = language(request)
    if principal is None:
        return await _page(request, status=401, form_error=TEXT[lang]["errors"]["session"])
    app, values = request.app, {}
    try:
        upload = await read_multipart(request, app[keys.FILES], app[keys.UPLOAD_LIMITS])
        values = dict(upload.fields)  # shown again as typed when something is refused
        async with files_kept_on_success(upload, app[keys.FILES]):  # nothing left behind by a refused submission
            body = SubmitTicketBody.model_validate(present_fields(SubmitTicketBody, upload.fields))
            result = await _submit(request, principal, body, upload)
    except ValidationError as exc:
        return await _page(request, status=422, errors=field_errors(exc, lang), values=values, principal=principal)
    except Problem as problem:
        errors = problem_errors(problem, lang, app[keys.UPLOAD_LIMITS])
        return await _page(
            request,
            status=problem.status,
            errors=errors,
            values=values,
            principal=principal,
            form_error=None if errors else problem.title,
        )
    ticket = json.loads(result.text)
    missing = [TEXT[lang]["missing_items"].get(code, code) for code in ticket["actionability"]["missing"]]
    html = (
        app[JINJA]
        .get_template("success.html.j2")
        .render(
            lang=lang, t=TEXT[lang], ticket_id=ticket["ticket_id"], status_url=ticket["status_url"], missing=missing
        )
    )
    return web.Response(text=html, content_type="text/html", status=201)


def add_form_routes(app: web.Application) -> None:
    app[JINJA] = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    app.router.add_get("/", show_form)
    app.router.add_post("/form/guest", guest_login)
    app.router.add_post("/form/tickets", submit_form)
