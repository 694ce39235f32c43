import os
import tempfile

# Keras writes keras.json on first import: give each test session a fresh, empty home, so
# neither $HOME nor a stale setting (say floatx=float16) from an earlier run leaks in.
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="dlgrade-keras-home-"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The one place the tests' Keras oracle is configured, before anything imports TensorFlow:
# TensorFlow's default oneDNN CPU kernels give wrong conv2d values when the output is one
# column wide and the column stride is above 1 (TF 2.21; test_keras_parity.py documents it,
# in a subprocess, the only place a test runs TensorFlow with oneDNN on). Set, not defaulted:
# a developer's shell must not turn the defect back on.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

# The grader stops Hypothesis from mixing literals of loaded modules into its examples (see
# autograder/suites/properties.py). Import it first, so every test file draws the same
# examples whether it runs alone or in the whole suite.
import autograder.suites.properties  # noqa: E402,F401

# The corpora hold hostile submissions (fork bombs, infinite loops): only the grader may run
# them, inside its sandbox, never pytest's collector.
collect_ignore = ["corpus"]
