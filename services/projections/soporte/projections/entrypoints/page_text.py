"""Words of the agent console and the customer status page, in Spanish (the default) and English."""

from __future__ import annotations

LANGUAGES = ("es", "en")

_CATEGORIES = {
    "es": {"damaged_item": "Artículo dañado", "wrong_item": "Artículo equivocado", "lcd_diagnosis": "Diagnóstico de pantalla LCD",
           "troubleshooting": "Problema con una pantalla recibida", "pre_sales": "Consulta antes de comprar",
           "order_status": "Estado del pedido", "return_request": "Devolución", "other": "Otra"},
    "en": {"damaged_item": "Damaged item", "wrong_item": "Wrong item", "lcd_diagnosis": "LCD screen diagnosis",
           "troubleshooting": "Problem with a received screen", "pre_sales": "Pre-sales question",
           "order_status": "Order status", "return_request": "Return", "other": "Other"},
}

TEXT: dict[str, dict] = {
    "es": {
        "console": "Consola de agentes", "sign_in": "Entrar", "sign_out": "Salir", "token": "Token de agente",
        "sign_in_hint": "Pegue el token que le dio `soporte agents create`.", "bad_token": "Ese token no es de un agente válido.",
        "views": {"unassigned": "Sin asignar", "mine": "Míos", "waiting": "Esperando al cliente", "at-risk": "En riesgo / incumplidos",
                  "all": "Todos"},
        "figures": "Cifras", "open_tickets": "Abiertos", "breaches_today": "Incumplimientos hoy",
        "avg_first_response": "Primera respuesta media (min laborables)",
        "ticket": "Ticket", "category": "Tipo", "priority": "Prioridad", "actionable": "Accionable", "missing": "Falta",
        "status": "Estado", "assignee": "Asignado a", "sla": "SLA", "due": "Vence", "last_activity": "Última actividad",
        "customer": "Cliente", "order": "Pedido", "channel": "Canal", "created": "Creado", "yes": "sí", "no": "no",
        "empty_queue": "No hay tickets en esta vista.", "next_page": "Siguiente página", "first_page": "Primera página",
        "statuses": {"new": "Nuevo", "open": "Abierto", "waiting_on_customer": "Esperando al cliente", "resolved": "Resuelto"},
        "sla_states": {"ok": "en plazo", "at_risk": "en riesgo", "breached": "incumplido"},
        "priorities": {"urgent": "urgente", "high": "alta", "normal": "normal", "low": "baja"},
        "categories": _CATEGORIES["es"],
        "missing_items": {"order_number": "número de pedido", "photo_of_item": "foto del artículo",
                          "detailed_description": "descripción detallada"},
        "thread": "Conversación", "timeline": "Historial", "escalations": "Escalados", "notifications": "Avisos enviados",
        "attachments": "Adjuntos", "no_messages": "Aún no hay mensajes.",
        "kinds": {"submitted": "Consulta", "customer_reply": "Respuesta del cliente", "agent_reply": "Respuesta del equipo",
                  "clarification": "Pedimos más información", "resolution": "Resuelto", "reopened": "Reabierto",
                  "return_label": "Etiqueta de devolución", "courier_claim": "Reclamación al transportista"},
        "actions": "Acciones", "reply": "Responder al cliente", "note": "Nota interna (solo agentes)",
        "clarify": "Pedir aclaración", "resolve": "Resolver", "reopen": "Reabrir", "assign_me": "Asignarme",
        "return_label": "Emitir etiqueta de devolución gratuita", "courier_claim": "Abrir reclamación al transportista",
        "message": "Mensaje", "question": "Qué necesita saber", "resolution": "Cómo se resolvió", "files": "Archivos",
        "carrier": "Transportista", "tracking": "Número de seguimiento", "reason": "Motivo", "send": "Enviar",
        "back": "Volver a la cola", "refreshing": "Se actualiza solo", "failed": "No se pudo hacer",
        "not_found": "No encontramos ese ticket", "not_found_hint": "Compruebe el enlace o el número.",
        "your_ticket": "Su ticket", "access_hint": "Para ver este ticket, indique el correo y el número de pedido con que lo abrió.",
        "email": "Correo electrónico", "order_number": "Número de pedido", "continue": "Continuar",
        "access_denied": "No encontramos un pedido con ese correo y número de pedido.",
        "your_reply": "Su respuesta", "reply_hint": "Puede adjuntar fotos o archivos.", "waiting_hint": "Esperamos su respuesta para continuar.",
        "resolved_hint": "Si algo no está bien, responda y el ticket se reabrirá.",
        "unavailable": "El servicio no responde ahora mismo; inténtelo de nuevo en un momento.",
        "forbidden": "Formulario caducado: recargue la página.",
    },
    "en": {
        "console": "Agent console", "sign_in": "Sign in", "sign_out": "Sign out", "token": "Agent token",
        "sign_in_hint": "Paste the token `soporte agents create` gave you.", "bad_token": "That token is not a valid agent's.",
        "views": {"unassigned": "Unassigned", "mine": "Mine", "waiting": "Waiting on customer", "at-risk": "At risk / breached",
                  "all": "All"},
        "figures": "Figures", "open_tickets": "Open", "breaches_today": "Breaches today",
        "avg_first_response": "Average first response (business min)",
        "ticket": "Ticket", "category": "Category", "priority": "Priority", "actionable": "Actionable", "missing": "Missing",
        "status": "Status", "assignee": "Assignee", "sla": "SLA", "due": "Due", "last_activity": "Last activity",
        "customer": "Customer", "order": "Order", "channel": "Channel", "created": "Created", "yes": "yes", "no": "no",
        "empty_queue": "No tickets in this view.", "next_page": "Next page", "first_page": "First page",
        "statuses": {"new": "New", "open": "Open", "waiting_on_customer": "Waiting on customer", "resolved": "Resolved"},
        "sla_states": {"ok": "on time", "at_risk": "at risk", "breached": "breached"},
        "priorities": {"urgent": "urgent", "high": "high", "normal": "normal", "low": "low"},
        "categories": _CATEGORIES["en"],
        "missing_items": {"order_number": "order number", "photo_of_item": "photo of the item",
                          "detailed_description": "detailed description"},
        "thread": "Conversation", "timeline": "Timeline", "escalations": "Escalations", "notifications": "Notifications sent",
        "attachments": "Attachments", "no_messages": "No messages yet.",
        "kinds": {"submitted": "Request", "customer_reply": "Customer reply", "agent_reply": "Our answer",
                  "clarification": "We asked for more information", "resolution": "Resolved", "reopened": "Reopened",
                  "return_label": "Return label", "courier_claim": "Courier claim"},
        "actions": "Actions", "reply": "Reply to the customer", "note": "Internal note (agents only)",
        "clarify": "Ask for clarification", "resolve": "Resolve", "reopen": "Reopen", "assign_me": "Assign to me",
        "return_label": "Issue a free return label", "courier_claim": "Open a courier claim",
        "message": "Message", "question": "What you need to know", "resolution": "How it was solved", "files": "Files",
        "carrier": "Carrier", "tracking": "Tracking number", "reason": "Reason", "send": "Send",
        "back": "Back to the queue", "refreshing": "Refreshes by itself", "failed": "Could not do it",
        "not_found": "We could not find that ticket", "not_found_hint": "Check the link or the number.",
        "your_ticket": "Your ticket", "access_hint": "To see this ticket, give the email and order number you opened it with.",
        "email": "Email", "order_number": "Order number", "continue": "Continue",
        "access_denied": "We could not find an order with that email and order number.",
        "your_reply": "Your reply", "reply_hint": "You can attach photos or files.", "waiting_hint": "We are waiting for your answer to go on.",
        "resolved_hint": "If something is not right, reply and the ticket will be reopened.",
        "unavailable": "The service is not answering right now; try again in a moment.",
        "forbidden": "This form has expired: reload the page.",
    },
}


def pick_language(explicit: str | None, accept_language: str | None, default: str) -> str:
    """An explicit choice (``?lang=``/cookie) first, then the browser's preference, then the desk's default."""
    if explicit in LANGUAGES:
        return explicit
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "es"
