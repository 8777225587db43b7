"""Run a shell command for a book page and show it as a terminal would: the command, then
what it printed.

Why: the quickstart and the command-line reference tell a data manager what to type. Showing
the output of the real command, run when the book is built, proves that it works as written
and that its messages are the ones the reader will see. The command runs in a working folder
named by the page, with relative paths only, so no build-machine path reaches the page.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path


class Session:
    """Commands run one after another in one working folder, like a reader's terminal."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def run(self, command: str, expect: int = 0, lines: int | None = None):
        """Run ``command`` (no shell: no pipes or globs) and return a Markdown transcript.

        ``imgshare`` is the command of the environment the book is built in. The exit status
        must be ``expect``, else the page fails to build, with the output in the error.
        ``lines`` keeps the first lines of a long output and says how many were left out.
        """
        from IPython.display import Markdown

        argv = shlex.split(command)
        if argv[0] == "imgshare":
            argv[0] = str(Path(sys.executable).with_name("imgshare"))
        done = subprocess.run(
            argv, cwd=self.folder, capture_output=True, text=True, check=False, timeout=600
        )
        output = (done.stdout + done.stderr).rstrip("\n").splitlines()
        if done.returncode != expect:
            raise RuntimeError(
                f"{command!r} exited with {done.returncode}, not {expect}:\n" + "\n".join(output)
            )
        if lines is not None and len(output) > lines:
            left = len(output) - lines
            output = output[:lines] + [f"(and {left} more lines)"]
        status = f"\n(exit status {done.returncode})" if done.returncode else ""
        text = "\n".join([f"$ {command}", *output]) + status
        fence = "````" if "```" in text else "```"
        return Markdown(f"{fence}console\n{text}\n{fence}")
