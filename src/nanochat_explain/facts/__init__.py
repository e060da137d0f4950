"""The facts of a source file: the libcst extractor, the frozen facts it yields (names, lines,
signatures, values, calls, comments) and the canonical text of expressions."""
