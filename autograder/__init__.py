"""dlgrade: grade NumPy CNN labs against a Keras-exact reference, safely."""
__version__ = "0.1.0"
