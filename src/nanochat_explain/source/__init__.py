"""Where nanochat's code comes from: a checkout found on disk, a git revision read from the
object database, the bundled facts of upstream's history, and the cache of facts already
parsed."""
