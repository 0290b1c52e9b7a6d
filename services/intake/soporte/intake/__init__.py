"""soporte.intake — the write side: ticket commands, the event store, the outbox relay, the submission form.

A submission, end to end: ``entrypoints.api.submit_ticket`` (or the form's
``submit_form``) builds a ``domain.commands.SubmitTicket`` and hands it to the
message bus; ``service_layer.handlers.submit_ticket`` rebuilds the ticket,
lets ``domain.tickets.decide_submit`` decide, and commits the event with its
outbox row (``adapters.event_store``) in one unit of work; ``adapters.relay``
publishes it to Kafka. ``bootstrap`` wires it all from the settings.
"""
