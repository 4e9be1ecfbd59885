"""The README as a contract: every `namnd` command and option and every API route is
documented, and the README names no command or option the CLI does not have."""

from __future__ import annotations

import argparse
import re

from support.paths import ROOT

from api.app import create_app
from api.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands(
    parser: argparse.ArgumentParser | None = None,
) -> dict[str, argparse.ArgumentParser]:
    """Every command by its words ("watch add"), nested subcommands included."""
    out: dict[str, argparse.ArgumentParser] = {}
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out[name] = sub
                out.update({f"{name} {k}": v for k, v in _subcommands(sub).items()})
    return out


def test_every_command_and_option_is_in_the_readme():
    missing = []
    for name, sub in _subcommands().items():
        if f"namnd {name.split()[0]}" not in README or name.split()[-1] not in README:
            missing.append(f"namnd {name}")
        for action in sub._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help" and flag not in README:
                    missing.append(f"namnd {name} {flag}")
    assert missing == []


def test_the_readme_names_no_command_the_cli_lacks():
    commands = _subcommands()
    named = set(re.findall(r"^namnd (\w+)", README, flags=re.M))
    assert named, "the README's command list is gone"
    assert named - {name.split()[0] for name in commands} == set()
    options = {flag for sub in commands.values() for a in sub._actions for flag in a.option_strings}
    written = {
        option
        for line in README.splitlines()
        if (used := re.search(r"\bnamnd (\w+)", line)) and used[1] in commands
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", line)
    }
    assert written - options == set()


def test_every_api_route_is_in_the_readme(ingested):
    app = create_app(ingested.path)
    paths = {_generic(path) for path in app.openapi()["paths"]}
    assert "/api/search" in paths
    documented = _generic(README)
    undocumented = sorted(p for p in paths if p not in documented)
    assert undocumented == []


def _generic(text: str) -> str:
    """Path parameters written alike: `/api/arenden/{arende_id}` as `/api/arenden/{id}`."""
    return re.sub(r"\{[a-z_]+\}", "{id}", text)
