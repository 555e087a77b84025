"""Every option of every cs-lab command has help text (a new user reads --help first)."""

import argparse

from cs_lab.cli import build_parser


def _walk(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_has_help():
    missing = [f"{path} {'/'.join(a.option_strings) or a.dest}"
               for path, a in _walk(build_parser(), "cs-lab") if not a.help or a.help == argparse.SUPPRESS]
    assert not missing, "options without help text:\n" + "\n".join(missing)
