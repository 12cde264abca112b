"""Training and evaluation of the classifier's sentiment model (the runtime only loads it)."""
