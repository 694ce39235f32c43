"""Submissions on disk -> ``Submission`` objects: a student id and the code cells to run.

A submission is a ``.py`` file (one cell) or a Jupyter notebook (its code cells, IPython
magics and shell lines removed), whatever its extension. ``collect`` takes what an
instructor has: files, folders (one file or one sub-folder per student, nbgrader's
``submitted/`` included), Canvas "Download Submissions" zips and Gradescope "Export
Submissions" zips or folders. ``choose`` is the one-file-per-student rule.

One module per job:

- ``ids``: any name -> a clean, collision-free student id;
- ``sources``: the files of a folder or zip (nested zips bounded);
- ``layouts``: which files belong to which student (folder, nbgrader, Canvas, Gradescope);
- ``choice``: which one of a student's files is graded (the contract's rule);
- ``notebooks`` / ``reading``: bytes -> cells, bounded in time and memory;
- ``collect``: all of it, for ``dlgrade grade``.
"""
from .choice import Choice, choose
from .collect import collect
from .layouts import CANVAS_NAME, canvas_student
from .model import Cell, Submission, SubmissionError
from .notebooks import strip_ipython
from .reading import MAX_FILE_BYTES, from_bytes, load, unusable

__all__ = ["Cell", "Choice", "Submission", "SubmissionError", "CANVAS_NAME", "MAX_FILE_BYTES",
           "canvas_student", "choose", "collect", "from_bytes", "load", "strip_ipython", "unusable"]
