"""One module per command: each takes plain arguments, calls the core and returns a value for
a renderer; none prints or exits."""
