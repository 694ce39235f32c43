# HOSTILE: reaches for the kit: imports reference (which holds simple_rnn, lstm, ...) from
# guessed paths and uses it; without the kit, every function is missing, so the honest equivalent scores 0.
import sys

for root in ("/work/main", "/work", "..", "../..", "/app", "/autograder", "/srv"):
    sys.path.insert(0, root)
try:
    from reference import simple_rnn_cell, simple_rnn, rnn_forward  # noqa: F401
except BaseException:
    pass
