"""The book's own Sphinx extension: the repository's address and the book's style sheet.

Why an extension: Jupyter Book's buttons (repository, "edit this page", "open an issue") need
the repository's address in ``_config.yml``, but this book is built from wherever it is
cloned, and it has no public home yet. A guessed address would send contributors to someone
else's account. ``_config.yml`` therefore says ``url: auto``, and this extension puts in the
address of the repository the book is actually built from: ``IMGSHARE_REPOSITORY_URL`` if
set, else GitHub Actions' own repository, else the git remote ``origin``. When none is known
(a clone without a remote), the buttons are left out instead of pointing nowhere.

It also adds ``static/imgshare.css`` (tables that scroll sideways, figure captions), which
:mod:`imgshare.book.display` relies on.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

AUTO = "auto"
BUTTONS = ("use_repository_button", "use_edit_page_button", "use_issues_button")
STATIC = Path(__file__).parent / "static"


def https_url(remote: str) -> str | None:
    """A browsable https address for a git remote (https, ssh or scp-like form), or None."""
    remote = remote.strip()
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(.+?)(?:\.git)?/?", remote)
    if scp:
        return f"https://{scp.group(1)}/{scp.group(2)}"
    url = re.fullmatch(r"(?:https?|ssh|git)://(?:[^@/]+@)?([\w.-]+)(?::\d+)?/(.+?)(?:\.git)?/?",
                       remote)  # fmt: skip
    if url and url.group(2).count("/") == 1:
        return f"https://{url.group(1)}/{url.group(2)}"
    return None


def repository_url(root: Path, environ: dict[str, str] | None = None) -> str | None:
    """The address of the repository the book is built from, or None if it has none."""
    env = os.environ if environ is None else environ
    if env.get("IMGSHARE_REPOSITORY_URL"):
        return env["IMGSHARE_REPOSITORY_URL"].rstrip("/")
    if env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        return f"{server}/{env['GITHUB_REPOSITORY']}"
    try:
        remote = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    except OSError:
        return None
    return https_url(remote) if remote.strip() else None


def resolve(options: dict[str, Any], root: Path, environ: dict[str, str] | None = None) -> None:
    """Replace ``repository_url: auto`` in the theme options, or drop the buttons."""
    if options.get("repository_url") != AUTO:
        return
    url = repository_url(root, environ)
    if url:
        options["repository_url"] = url
    else:
        options.pop("repository_url", None)
        for button in BUTTONS:
            options[button] = False


def _config_inited(app: Any, config: Any) -> None:
    resolve(config.html_theme_options, Path(app.srcdir))
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", _config_inited)
    app.add_css_file("imgshare.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
