"""The templates: loading and validating the YAML of each module (kept in ``data/templates``),
and choosing, among a module's forms, the one the checked code has."""
