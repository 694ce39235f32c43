"""``dlgrade demo``: the whole kit on the bundled example class.

Prints the lecture's worked example through the reference layers, grades every
lab of the syllabus that ``examples/class`` has submissions for (weeks 8 to 11) in
the sandbox, and writes the TA report, so a new user sees every piece working with
one command.
"""
from pathlib import Path

import numpy as np

import reference

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# CONTRACT section 5: the lecture's 7x7 image and 3x3 feature detector.
LECTURE_IMAGE = np.array([
    [0, 0, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 1, 0, 0, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [0, 0, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
])
LECTURE_DETECTOR = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 1]])


def add_arguments(parser):
    parser.add_argument("--out", default="demo-out", type=Path,
                        help="where to write results and the report (default: ./demo-out)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel graders (default: all cores)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds per function (default 10: the example class has a submission that hangs)")


def _show(title, grid):
    print(title)
    for row in np.asarray(grid):
        print("   " + " ".join(f"{v:g}" for v in row))
    print()


def lecture_example():
    x = LECTURE_IMAGE[None, :, :, None]
    feature_map = reference.conv2d(x, LECTURE_DETECTOR[:, :, None, None])
    pooled = reference.max_pool2d(feature_map, pool_size=2, strides=2, padding="same")
    _show("Lecture example: feature map = conv2d(7x7 image, 3x3 detector), stride 1, 'valid':",
          feature_map[0, :, :, 0])
    print("   (the slide prints 1 in the middle cell; the only 1 under that window meets a 0")
    print("    of the detector, so the computed value 0 is right, and Keras agrees)\n")
    _show("Pooled = max_pool2d(feature map, 2, strides=2, padding='same'):", pooled[0, :, :, 0])


def example_labs():
    """The syllabus's labs that the example class has submissions for, in syllabus order."""
    from . import course

    return [name for name in sorted(course.load().labs) if (EXAMPLES / "class" / name).is_dir()]


def run(args):
    from .cli import main as dlgrade

    lecture_example()
    if not (EXAMPLES / "class").is_dir():
        print(f"dlgrade demo: the example class is missing ({EXAMPLES / 'class'}); "
              "run the demo from a checkout of the repository.")
        return 2
    options = ["--timeout", str(args.timeout)] + ([] if args.jobs is None else ["--jobs", str(args.jobs)])
    result_dirs = []
    for lab in example_labs():
        out = args.out / "results" / lab
        print(f"== dlgrade grade --assignment {lab} --out {out} {EXAMPLES / 'class' / lab}")
        code = dlgrade(["grade", "--assignment", lab, "--out", str(out), *options, str(EXAMPLES / "class" / lab)])
        if code != 0:
            return code
        result_dirs.append(str(out))
    report_dir = args.out / "report"
    print(f"\n== dlgrade report --out {report_dir} ...")
    code = dlgrade(["report", "--out", str(report_dir), "--roster", str(EXAMPLES / "roster.csv"),
                    "--manual", str(EXAMPLES / "manual.csv"), *result_dirs])
    if code == 0:
        print(f"\nOpen the report: {(report_dir / 'report.html').resolve()}")
        print(f"Gradebook: {(report_dir / 'gradebook.csv').resolve()}")
    return code
