import os
import tempfile

# Keras writes ~/.keras/keras.json on first import; keep the tests from touching $HOME.
os.environ.setdefault("KERAS_HOME", os.path.join(tempfile.gettempdir(), "dlgrade-keras-home"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The corpora hold hostile submissions (fork bombs, infinite loops): only the grader may run
# them, inside its sandbox, never pytest's collector.
collect_ignore = ["corpus"]
