"""The app factory of `postlive serve --workers N`: uvicorn imports it by name in each
worker process, and each process builds its own world from the environment. Kept apart
from bot.web, which is handed a built App and never builds one."""

from __future__ import annotations

from starlette.applications import Starlette

from bot.web import create_app


def serve_app() -> Starlette:
    """The app factory `postlive serve --workers N` hands to uvicorn: each worker
    process builds its own world from the environment."""
    import os

    from bot.bootstrap import build
    from bot.logs import configure
    from bot.startup_heap import freeze_startup_heap

    application = build()
    configure(application.settings.log_format, application.settings.log_level)
    web = create_app(
        application,
        run_worker=os.environ.get("POSTLIVE_SERVE_WORKER", "1") == "1",
        handle_inbound=os.environ.get("POSTLIVE_SERVE_INBOUND", "1") == "1",
    )
    freeze_startup_heap()
    return web
