"""The `relay` command line (Typer + Rich). The only place that decides exit codes."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from pathlib import Path
from typing import Optional

import click
import typer
import uvloop

from channels import registry
from relay.app import features
from relay.app.settings import Settings
from relay.core import migrate
from relay.core.cli_context import CliContext, UsageError, console, errors, resolve_config_path
from relay.core.config import ConfigError
from relay.core.db import SetupError, private_dir
from relay.core.subscribers import SubscriberError

app = typer.Typer(help="relay: crisis alerts and notices over SMS, Telegram and Matrix, in each person's language.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
for _name, _sub_app in features.cli_apps():  # every feature's commands, from the one Feature list
    app.add_typer(_sub_app, name=_name)
features.install(runtime=False)  # a running relay (Program) installs the release handlers too
_invocation: contextvars.ContextVar[CliContext] = contextvars.ContextVar("relay_cli_invocation")

INIT_CONFIG = """\
# relay configuration. Every key is documented in config/relay.example.toml.
# Secrets (auth tokens) never go here: use RELAY_SMS__AUTH_TOKEN or RELAY_SECRETS_FILE.
data_dir = "data"
default_language = "en"

[http]
host = "127.0.0.1"
port = 8080

# Without an [sms] section, `relay run --sandbox` sends SMS to the local Twilio simulator.
[sandbox]
sms_numbers = ["+12015550100", "+12015550101"]
segments_per_second = 1.0
"""


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file (default ./relay.toml, or RELAY_CONFIG)."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
    operator: Optional[str] = typer.Option(
        None, "--as", envvar="RELAY_OPERATOR",
        help="Act as a subscriber, with their tier (subscriber:ID or CHANNEL:ADDRESS). Default: the local "
        "operator, a coordinator."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = CliContext(config_path=resolve_config_path(config), operator=operator, settings_class=Settings)
    _invocation.set(ctx.obj)


@app.command()
def init(
    ctx: typer.Context,
    directory: Path = typer.Argument(Path("."), help="Where to write relay.toml and the data directory."),
    force: bool = typer.Option(False, help="Overwrite an existing relay.toml."),
) -> None:
    """Write a relay.toml and create the data directory and the database."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "relay.toml"
    if path.exists() and not force:
        raise UsageError(f"{path} exists; use --force to overwrite it")
    path.write_text(INIT_CONFIG, encoding="utf-8")
    cli = CliContext(config_path=path, settings_class=Settings)
    private_dir(cli.settings.data_dir / "sandbox")  # the data directory is 0700: it holds personal data
    cli.database(upgrade=True)
    console.print(f"wrote {path}; database at {cli.settings.resolved_database_url}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to the latest version (Alembic)."""
    database = ctx.obj.database(upgrade=True)
    console.print(f"database at revision {migrate.current_revision(database.engine)}")


@app.command("check-config")
def check_config(ctx: typer.Context) -> None:
    """Load and validate the configuration; print what it resolves to."""
    settings = ctx.obj.settings
    console.print(f"config: {ctx.obj.config_path or '(defaults and environment)'}")
    console.print(f"database: {settings.resolved_database_url}")
    console.print(f"http: {settings.http.host}:{settings.http.port} (public {settings.public_url})")
    for spec in registry.SPECS:
        section = getattr(settings, spec.name, None)
        where = spec.describe(section) if section is not None else ("sandbox only" if spec.sandbox else "off")
        console.print(f"{spec.name}: {where}", markup=False, highlight=False)
    console.print("configuration is valid")


@app.command()
def run(ctx: typer.Context, sandbox: bool = typer.Option(False, "--sandbox", help="Use the local provider simulators.")) -> None:
    """Run the relay: webhooks, dispatcher, channels. Stops cleanly on SIGINT / SIGTERM."""
    _run_mode("run", ctx.obj.settings, sandbox=sandbox)


@app.command()
def worker(ctx: typer.Context) -> None:
    """Run a worker: the dispatcher, the chat inbound loops and the scheduler, without a web server.

    Any number of workers share one PostgreSQL database with `relay run` or `relay serve`: each sender,
    inbound loop and scheduler is driven by one process at a time (a lease another takes over at once
    when its holder dies). Status callbacks go to `http.public_url`, served by `relay serve`/`relay run`.
    """
    _run_mode("worker", ctx.obj.settings)


@app.command()
def serve(ctx: typer.Context) -> None:
    """Run the web side alone: provider webhooks, the API and the console (no dispatcher, no polling)."""
    _run_mode("serve", ctx.obj.settings)


def _run_mode(mode: str, settings: Settings, *, sandbox: bool = False) -> None:
    from relay.app import modes  # brings the web server (FastAPI, uvicorn): no other command needs it

    program = modes.build(mode, settings, sandbox=sandbox)
    uvloop.run(program.run_until_signal(_print_started))  # libuv's loop: webhooks and dispatcher share one core


def _print_started(lines: list[str]) -> None:
    for line in lines:
        console.print(line, highlight=False)
    console.print("stop with Ctrl-C (SIGINT) or SIGTERM")


@app.command("sandbox")
def sandbox_cmd(
    ctx: typer.Context,
    port: int = typer.Option(8099, help="Port of the SMS simulator."),
    account_sid: str = typer.Option("AC" + "5a" * 16, envvar="RELAY_SANDBOX_ACCOUNT_SID"),
    auth_token: str = typer.Option(..., envvar="RELAY_SANDBOX_AUTH_TOKEN", help="Token the relay must use."),
    telegram_port: Optional[int] = typer.Option(None, help="Also run the Telegram Bot API simulator on this port."),
    telegram_token: Optional[str] = typer.Option(None, envvar="RELAY_SANDBOX_TELEGRAM_TOKEN",
                                                 help="Bot token the relay must use with the Telegram simulator."),
) -> None:
    """Run the provider simulators alone (point a relay's [sms] / [telegram] api_base_url at them)."""
    from channels.sandbox.twilio_sim import TwilioSimulator
    from channels.sms_spec import sandbox_settings

    settings = ctx.obj.settings
    try:
        sim = sandbox_settings(settings.sandbox, settings.public_url, account_sid, auth_token)
    except ValueError as exc:
        raise UsageError(f"SMS simulator: {exc}") from None
    if telegram_port is not None and not telegram_token:
        raise UsageError("--telegram-port needs the bot token the relay will use: set RELAY_SANDBOX_TELEGRAM_TOKEN")

    async def serve() -> None:
        simulators = [TwilioSimulator(sim, settings.data_dir)]
        await simulators[0].start("127.0.0.1", port)
        console.print(f"Twilio simulator on {simulators[0].base_url} (account {account_sid}); records in "
                      f"{simulators[0].jsonl_path}")
        if telegram_port is not None:
            from channels.sandbox.telegram_settings import SimGroup, TelegramSimSettings
            from channels.sandbox.telegram_sim import TelegramSimulator

            groups = [SimGroup(id=g, title=f"Sandbox group {g}") for g in settings.sandbox.telegram_groups]
            try:
                telegram = TelegramSimulator(TelegramSimSettings(token=telegram_token, auto_users=True, groups=groups),
                                             settings.data_dir)
            except ValueError as exc:
                raise UsageError(f"Telegram simulator: {exc}") from None
            await telegram.start("127.0.0.1", telegram_port)
            simulators.append(telegram)
            console.print(f"Telegram simulator on {telegram.base_url}; records in {telegram.jsonl_path}")
        try:
            await asyncio.Event().wait()
        finally:
            for simulator in simulators:
                await simulator.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


@app.command()
def demo(ctx: typer.Context, keep: bool = typer.Option(False, help="Keep the temporary data directory.")) -> None:
    """Import subscribers, send a crisis alert and a webinar notice through the sandbox, print the report."""
    from relay.app.demo import run_demo

    run_demo(keep=keep)


def _register_optional() -> None:
    try:
        from relay.app import translation_cli
    except ImportError:  # translation is optional in a small install
        return
    # The settings of the command being run (typer runs the sub-app's command outside click's context stack,
    # so the invocation's CliContext is handed over in a context variable, set once per run).
    translation_cli.register(app, lambda: _invocation.get().settings.translation)


_register_optional()


def main() -> None:
    try:
        # Without standalone mode click returns a command's exit code (typer.Exit) instead of exiting.
        code = app(standalone_mode=False)
    except (UsageError, SubscriberError) as exc:
        errors.print(f"error: {exc}", highlight=False)
        sys.exit(2)
    except (ConfigError, SetupError) as exc:
        errors.print(f"error: {exc}", highlight=False)
        sys.exit(3)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as exc:  # click's usage errors and anything unexpected
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
