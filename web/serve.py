"""Serve the dashboard with gunicorn: a master process and N worker processes forked from it.

gunicorn is an extra (`pip install 'pushgate[server]'`): without it, importing this module raises
ModuleNotFoundError for gunicorn, which `pushgate serve --workers` turns into one sentence.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from web import db

if TYPE_CHECKING:
    from gunicorn.config import Config
    from gunicorn.http import Request
    from gunicorn.http.wsgi import Response

Redact = Callable[[str], str]


class RedactLines(logging.Filter):
    """Pass each record's message through `redact` (the error log names requested URLs)."""

    def __init__(self, redact: Redact) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redacting_logger(redact: Redact) -> type[Logger]:
    """Return a gunicorn logger class that keeps credentials in URLs out of both of its logs."""

    class RedactingLogger(Logger):
        def setup(self, cfg: Config) -> None:
            super().setup(cfg)
            self.error_log.addFilter(RedactLines(redact))

        def atoms(
            self, resp: Response, req: Request, environ: MutableMapping[str, Any], took: timedelta
        ) -> Any:
            # The URLs of the access log's line one by one, since a query runs to the end of the
            # text it is found in: the request line, and the referrer (the full URL of the
            # dashboard's page that linked here).
            atoms = super().atoms(resp, req, environ, took)
            atoms["r"] = redact(atoms["r"])
            atoms["f"] = redact(atoms["f"])
            return atoms

    return RedactingLogger


class Server(BaseApplication):
    """gunicorn over an app made beforehand, in the master: each worker forks with it."""

    def __init__(self, application: Flask, options: dict[str, Any]) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)
        # gunicorn 25.1 and later listen for `gunicornc` on a socket at one path per user: a
        # second server takes the path over, and the first removes it when it stops.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    # gunicorn's stubs type a WSGI app's environ as any mutable mapping; Flask's is a dict.
    def load(self) -> Flask:  # type: ignore[override]
        return self.application


def settle() -> None:
    """Once the app is loaded, before it serves: collect, then move every object made so far
    (modules, templates, the engine) to the collector's permanent generation. A full collection
    during a request then walks only what requests make, not the whole app (its pauses set the
    pages' p95), and forked workers do not copy the pages that a collection would touch."""
    gc.collect()
    gc.freeze()


def serve(
    application: Flask, *, host: str, port: int, workers: int, timeout: int, redact: Redact
) -> None:
    """Serve the app from `workers` gunicorn processes until SIGTERM (graceful) or SIGINT."""
    # The app's engine pooled the connection that checked the schema; a connection made before
    # the fork would be shared by every worker. Each worker opens its own instead.
    with application.app_context():
        db.engine().dispose()
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": [address],
        "workers": workers,
        "timeout": timeout,
        "preload_app": True,
        "accesslog": "-",
        "logger_class": redacting_logger(redact),
    }
    settle()  # in the master, before it forks the workers
    Server(application, options).run()
