"""Claims: each kind is a small pure function from a claim's spec and the facts to an outcome."""
