"""The ``dlgrade`` command line: parses, hands each verb to its own module, prints.

Each verb module exposes ``add_arguments(parser)`` and ``run(args) -> exit code``,
so a verb's options live next to the code that uses them.
"""
import argparse
import importlib
import sys

from . import __version__

# verb -> (module, one-line help). Verb modules keep heavy imports (plotting,
# otter) inside run(), so `dlgrade grade` never pays for the report's libraries.
VERBS = {
    "grade": ("autograder.grade", "grade submissions of one assignment into a results folder"),
    "report": ("autograder.report", "gradebook, Canvas export and HTML report from results folders"),
    "build": ("autograder.labs.build", "build the student notebooks in assignments/ from solutions/"),
    "gradescope": ("autograder.labs.gradescope", "build a Gradescope autograder zip for a lab"),
    "demo": ("autograder.demo", "run the kit on the bundled example and print where to look"),
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="dlgrade",
        description="Auto-grading kit for the EI320A CNN labs (NumPy, Keras semantics).",
    )
    parser.add_argument("--version", action="version", version=f"dlgrade {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for verb, (module, help_) in VERBS.items():
        sub = verbs.add_parser(verb, help=help_, description=help_)
        sub.set_defaults(module=module)
        importlib.import_module(module).add_arguments(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 0
    module = importlib.import_module(args.module)
    try:
        return module.run(args)
    except KeyboardInterrupt:
        print("dlgrade: interrupted", file=sys.stderr)
        return 130
