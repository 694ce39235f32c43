"""``dlgrade gradescope``: a Gradescope autograder zip for one lab.

    dlgrade gradescope --assignment week09 --out week09-gradescope.zip
                       [--visibility VISIBILITY] [--isolation LEVEL]

The zip holds ``setup.sh`` (installs Python and this kit, core dependencies only),
``run_autograder`` (grades ``/autograder/submission`` with ``dlgrade grade`` through
``gradescope_run`` and writes ``/autograder/results/results.json``) and ``dlgrade/``, a copy
of the kit's source. Upload it as a "Zip file upload" autograder. The zip is byte-for-byte
reproducible.

``--visibility`` is Gradescope's test visibility (``visible``: students see each test's
hints as soon as they submit, the point of an in-class lab; ``after_due_date``,
``after_published``, ``hidden``). The top-level output obeys it: unless tests are visible it
names no per-test or per-function score. ``--isolation`` is passed to ``dlgrade grade``;
its default, ``uid-nocgroup``, accepts every level (Gradescope's container may allow neither
namespaces nor cgroups), and each result still records the level used.
"""
import pathlib
import sys
import zipfile

SOURCE_ITEMS = ("pyproject.toml", "README.md", "autograder", "reference")  # what pip needs to install the kit
SKIP = ("__pycache__", ".pyc", ".egg-info")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip timestamps: the same bytes on every build
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")   # Gradescope's
GRADESCOPE_ISOLATION = "uid-nocgroup"   # the weakest level: accepts whatever the container allows


def add_arguments(parser):
    parser.add_argument("--assignment", required=True, metavar="NAME",
                        help="the lab to grade, as named in the syllabus (e.g. week09)")
    parser.add_argument("--out", type=pathlib.Path, metavar="ZIP",
                        help="the zip to write (default: <assignment>-gradescope.zip)")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="when students see the tests' results and hints (Gradescope's "
                             "visibility; default: visible, so hints show during the lab)")
    parser.add_argument("--isolation", metavar="LEVEL", default=GRADESCOPE_ISOLATION,
                        help="passed to `dlgrade grade --isolation`: the weakest sandbox level to "
                             f"accept (default: {GRADESCOPE_ISOLATION}, i.e. any level; each result "
                             "records the level used)")
    parser.add_argument("--source", type=pathlib.Path, metavar="DIR",
                        help="the kit's source tree to bundle (default: the one this dlgrade runs from)")


def kit_source(source=None):
    """The folder holding the kit's ``pyproject.toml`` (the repository root)."""
    root = source or pathlib.Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "autograder").is_dir():
        raise ValueError(f"no dlgrade source tree at {root} (pass --source with the repository folder)")
    return root


def _add(zf, name, data, executable=False):
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    zf.writestr(info, data)


def source_files(root):
    """(path in the zip, file) for the kit's source, sorted, without caches."""
    files = []
    for item in SOURCE_ITEMS:
        path = root / item
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [(f"dlgrade/{p.relative_to(root).as_posix()}", p) for p in candidates
                  if not any(s in part for part in p.relative_to(root).parts for s in SKIP)]
    return sorted(files)


def write_zip(assignment, out, source=None, visibility="visible", isolation=GRADESCOPE_ISOLATION):
    """Write the autograder zip to ``out``. Raises ``ValueError`` for an unknown visibility or
    isolation level (``autograder.sandbox.LEVELS``), before anything is written."""
    from ..sandbox import LEVELS
    from . import gradescope_scripts as scripts

    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility!r} (one of: {', '.join(VISIBILITIES)})")
    if isolation not in LEVELS:   # checked here, not on Gradescope, where it would fail every student
        raise ValueError(f"unknown isolation level {isolation!r} (one of: {', '.join(LEVELS)})")
    root = kit_source(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        _add(zf, "setup.sh", scripts.SETUP_SH, executable=True)
        _add(zf, "run_autograder", scripts.RUN_AUTOGRADER.format(
            assignment=assignment, visibility=visibility, isolation=isolation), executable=True)
        for name, path in source_files(root):
            _add(zf, name, path.read_bytes())
    return out


def run(args):
    from .. import course

    try:
        lab = course.load().lab(args.assignment)
        out = write_zip(lab.name, args.out or pathlib.Path(f"{lab.name}-gradescope.zip"), args.source,
                        visibility=args.visibility, isolation=args.isolation)
    except (KeyError, ValueError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"dlgrade gradescope: {message}", file=sys.stderr)
        return 2
    print(f"wrote {out}: upload it as the Gradescope autograder of {lab.name} ({lab.points:g} points; "
          f"tests {args.visibility}; base image Ubuntu 24.04 recommended)")
    return 0
