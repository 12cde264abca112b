"""The community managers' queue and incident domain, shared by publish (which writes the
pipeline's side) and the console (which writes what people do). See `domain`."""
