"""`ubp`'s commands that talk to a running stack: messages, status, staff, tasks, adjustments,
letters, notices, schedules, the records database's schema, retention and erasure, the board report; a party's decrypted
history; the key ring that encrypts payloads, and the door's keys that seal messages.

The commands that start processes (`ubp dev`, `ubp api`, `ubp worker`,
`ubp seed-demo`) are added by `starter.ubp`, which is the console entry point.
"""

import typer

from cli import (
    adjustments,
    contacts,
    data_protection,
    db,
    door_keys,
    ground_rules,
    history,
    imports,
    keys,
    letters,
    messages,
    notices,
    report,
    retention,
    schedules,
    schemas,
    security_log,
    staff,
    tasks,
    webhooks,
)

app = typer.Typer(help="Unacceptable-behaviour policy orchestrator", no_args_is_help=True)
app.add_typer(messages.app)
app.add_typer(contacts.app)
app.add_typer(ground_rules.app)
app.add_typer(imports.app)
app.add_typer(schemas.app)
app.add_typer(security_log.app)
app.add_typer(staff.app, name="staff")
app.add_typer(tasks.app, name="tasks")
app.add_typer(adjustments.app, name="adjustment")
app.add_typer(letters.app, name="letters")
app.add_typer(notices.app, name="notices")
app.add_typer(schedules.app, name="schedules")
app.add_typer(history.app)
app.add_typer(keys.app, name="keys")
app.add_typer(door_keys.app, name="door-keys")
app.add_typer(db.app, name="db")
app.add_typer(retention.app, name="retention")
app.add_typer(retention.party_app, name="party")
app.add_typer(report.app)
app.add_typer(data_protection.app)
app.add_typer(webhooks.app, name="webhooks")
