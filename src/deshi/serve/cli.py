"""``deshi serve`` (the gateway), ``deshi serve keygen`` and ``deshi audit verify``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from deshi.errors import DeshiError

console = Console()


def run_server(config_path: Path, host: str | None = None, port: int | None = None, force: bool = False,
               log_level: str = "warning") -> None:
    """Load serve.yaml, release-check, and run uvicorn (uvloop + httptools when installed)."""
    import uvicorn

    from deshi.serve.app import build, create_app
    from deshi.serve.config import load_serve_config

    config = load_serve_config(config_path)
    gateway = build(config, force=force)
    app = create_app(gateway)
    # Long-running server: move everything allocated at startup (model, tokenizer, modules) out of the
    # GC's generations, and collect young objects less often; per-request garbage is short-lived.
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # noqa: F401

        from deshi.serve.server import protocol_for

        http = protocol_for(gateway)  # uvicorn's httptools protocol + the gateway's fast path
    except ImportError:
        http = "h11"
    uvicorn.run(app, host=host or config.host, port=port if port is not None else config.port, loop=loop, http=http,
                log_level=log_level, access_log=False, server_header=False, date_header=False,
                # Nothing here reads the client address, so skip uvicorn's X-Forwarded-For middleware
                # (one more ASGI layer on every request).
                proxy_headers=False, timeout_graceful_shutdown=5)


def register(app: typer.Typer) -> None:
    serve_app = typer.Typer(help="OpenAI-compatible gateway: guard, cache, budgets, audit trail, metrics.\n\n"
                            "Example: deshi serve --config examples/demo/serve.yaml --port 8000",
                            invoke_without_command=True)

    @serve_app.callback()
    def serve(
        ctx: typer.Context,
        config: Path = typer.Option(None, "--config", "-c", help="serve.yaml (models, guard, auth, audit)."),
        host: str = typer.Option(None, "--host", help="Bind address (default: serve.yaml's host)."),
        port: int = typer.Option(None, "--port", help="Port (default: serve.yaml's port)."),
        force: bool = typer.Option(False, "--force", help="Serve models without a passing gate verdict (audited)."),
        log_level: str = typer.Option("warning", "--server-log-level", help="uvicorn log level."),
    ) -> None:
        """Serve models behind the OpenAI API (/v1/chat/completions, /v1/completions, /v1/models, /metrics).

        Example: deshi serve --config examples/demo/serve.yaml --port 8000
        """
        if ctx.invoked_subcommand is not None:
            return
        if config is None:
            raise DeshiError("deshi serve needs --config serve.yaml (see docs/serve.md)")
        run_server(config, host, port, force, log_level)

    @serve_app.command("keygen")
    def keygen(key_id: str = typer.Option("key-1", "--id", help="Key id recorded in the audit trail.")) -> None:
        """Make an API key; print the key (give it to the client) and the serve.yaml entry (hash only).

        Example: deshi serve keygen --id team-a
        """
        from deshi.serve.auth import new_key

        key, digest = new_key()
        console.print(f"API key (shown once): [bold]{key}[/bold]")
        console.print(f"serve.yaml:\n  auth:\n    keys:\n      - id: {key_id}\n        sha256: {digest}", highlight=False)

    app.add_typer(serve_app, name="serve")

    audit_app = typer.Typer(help="The gateway's hash-chained audit trail.", no_args_is_help=True)

    @audit_app.command("verify")
    def verify(
        db: str = typer.Option("audit.db", "--db", help="SQLite file or SQLAlchemy URL (postgresql://…)."),
        head: str = typer.Option(None, "--head", help="Expected head hash kept elsewhere (detects truncation)."),
    ) -> None:
        """Recompute the hash chain; exit 1 if any record was edited, deleted or reordered.

        Example: deshi audit verify --db workspace/serve/audit.db
        """
        from deshi.serve.audit import verify as verify_chain

        url = db if "://" in db else f"sqlite:///{db}"
        if "://" not in db and not Path(db).is_file():
            raise DeshiError(f"audit database {db} does not exist")
        result = verify_chain(url)
        problems = list(result.problems)
        if head is not None and result.head != head:
            problems.append(f"head hash is {result.head[:16]}…, expected {head[:16]}… (records missing at the end?)")
        if problems:
            for problem in problems:
                console.print(f"[red]✗[/red] {problem}", highlight=False)
            console.print(f"[bold red]audit trail INVALID[/bold red] ({result.records} records)")
            raise typer.Exit(1)
        console.print(f"[green]✓[/green] audit trail intact: {result.records} records, head {result.head}")

    app.add_typer(audit_app, name="audit")
