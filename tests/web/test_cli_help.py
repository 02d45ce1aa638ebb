"""Every command says what each of its options does, and shows an example of itself."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from tests.conftest import EXAMPLES
from web.cli import main


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


COMMANDS = dict(_commands(main))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_describes_its_options_and_shows_an_example(name):
    command = COMMANDS[name]
    bare = [p.opts for p in command.params if isinstance(p, click.Option) and not p.help]
    assert bare == [], f"{name}: options without help"
    shown = CliRunner().invoke(main, [*name.split(), "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "Example" in text, name
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith("pushgate ")]
    assert examples, f"{name}: no example line"
    # The example is of this command (after the global --database), with its own options.
    words = shlex.split(examples[0].split(">")[0])[1:]
    if words[0] == "--database":
        words = words[2:]
    assert words[: len(name.split())] == name.split(), examples[0]
    known = {o for p in command.params for o in getattr(p, "opts", ())}
    unknown = [w for w in words if w.startswith("-") and w not in known]
    assert unknown == [], f"{name}: {examples[0]}"


def test_the_version_is_one_line():
    shown = CliRunner().invoke(main, ["--version"])
    assert shown.exit_code == 0 and shown.output.startswith("pushgate, version ")


def test_every_command_that_takes_now_takes_as_of_too_with_the_same_meaning(pushgate, tmp_path):
    """One vocabulary: the pages' ?as_of= is every reading command's --as-of, and --now its
    older name; `roadmap import --as-of` alone dates an update (it has no --now)."""

    def options(command: click.Command) -> list[tuple[str, ...]]:
        return [tuple(p.opts) for p in command.params if isinstance(p, click.Option)]

    def walk(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from walk(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    takes_now = [name for name, c in walk(main, "") if any("--now" in o for o in options(c))]
    assert {"flights", "report", "serve", "compare"} <= set(takes_now)
    for name, command in walk(main, ""):
        for opts in options(command):
            if "--now" in opts:
                assert "--as-of" in opts, name
    example = str(EXAMPLES / "flights")
    assert (
        pushgate("ingest", "--allow-file", str(EXAMPLES / "allow.xen-unstable"), example).exit_code
        == 0
    )
    by_now = pushgate("flights", "--now", "2013-03-06")
    by_as_of = pushgate("flights", "--as-of", "2013-03-06")
    assert by_now.exit_code == by_as_of.exit_code == 0
    assert by_now.output == by_as_of.output != pushgate("flights").output
