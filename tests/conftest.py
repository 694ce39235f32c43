import os
import tempfile

# Keras writes ~/.keras/keras.json on first import; keep the tests from touching $HOME.
os.environ.setdefault("KERAS_HOME", os.path.join(tempfile.gettempdir(), "dlgrade-keras-home"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
