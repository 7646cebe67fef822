"""`ubp schedules`: the periodic work as Temporal Schedules (see `client.schedules`)."""

import asyncio

import typer
from temporalio.service import RPCError

from cli.common import fail
from client.connection import connect
from client.schedules import ALL_SCHEDULES, apply_schedules, schedules
from settings import get_settings

app = typer.Typer(help="The periodic work: Temporal Schedules (the Temporal UI shows and pauses them)")


@app.command("apply")
def schedules_apply() -> None:
    """Create the schedules, or bring existing ones up to the settings (a paused one stays paused;
    one the settings no longer ask for is deleted). Every worker does this when it starts.

    Local: runs against Temporal with this machine's settings; not an action on a party."""

    async def go() -> dict[str, str]:
        settings = get_settings()
        return await apply_schedules(await connect(settings), settings)

    try:
        applied = asyncio.run(go())
    except RPCError as err:
        fail(f"Temporal: {err.message}", 1)
    for schedule_id, what in applied.items():
        typer.echo(f"{schedule_id}: {what}")


@app.command("list")
def schedules_list() -> None:
    """Each schedule: running or paused, and its next run.

    Local: runs against Temporal with this machine's settings; not an action on a party."""

    async def go() -> list[str]:
        settings = get_settings()
        client = await connect(settings)
        lines = []
        wanted = schedules(settings)
        for schedule_id in ALL_SCHEDULES:
            if schedule_id not in wanted:
                lines.append(f"{schedule_id}\toff (the settings do not ask for it)")
                continue
            try:
                described = await client.get_schedule_handle(schedule_id).describe()
            except RPCError:
                lines.append(f"{schedule_id}\tmissing (`ubp schedules apply` creates it)")
                continue
            state = "paused" if described.schedule.state.paused else "running"
            upcoming = described.info.next_action_times
            lines.append(f"{schedule_id}\t{state}\tnext {upcoming[0].isoformat() if upcoming else '-'}")
        return lines

    try:
        lines = asyncio.run(go())
    except RPCError as err:
        fail(f"Temporal: {err.message}", 1)
    for line in lines:
        typer.echo(line)
