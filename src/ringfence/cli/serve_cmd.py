from __future__ import annotations

import click
from django.core.management import call_command


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web UI with a production WSGI server (waitress); migrates first."""
    from waitress import serve as waitress_serve

    from ringfence.wsgi import application

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    click.echo(f"ringfence serving on http://{host}:{port}/ (Ctrl+C stops)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="ringfence")


@click.command()
@click.option("--workers", default=2, show_default=True, type=int)
def worker(workers: int) -> None:
    """Run background and periodic jobs from the queue."""
    call_command("run_huey", workers=workers)
