"""The package's data: the YAML templates (``templates/``), the agent skill (``skill/``), and
what is built from them and from upstream nanochat's history, rebuilt by one command
(see :mod:`nanochat_explain.data.__main__`)::

    python -m nanochat_explain.data --repo CLONE
"""
