"""Questions asked of checked explanations beyond one module at one revision: which
statements match some words (find), what changed between two revisions (diff) or along
the commits (history), what a fork changed against upstream (fork), and when upstream had
each form (timeline)."""
