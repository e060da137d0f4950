"""What each command does, as functions over the core that return values.

The CLI only parses flags, calls these, renders and maps errors to exit codes.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from nanochat_explain.core import Session
from nanochat_explain.core import coverage as core_coverage
from nanochat_explain.errors import ExplainError, UsageError
from nanochat_explain.model import Template
from nanochat_explain.source.locate import locate
from nanochat_explain.templates.load import Catalog, Planned, load_dir
from nanochat_explain.templates.packaged import load_packaged

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nanochat_explain.explanation import Explanation
    from nanochat_explain.model import CheckReport
    from nanochat_explain.queries.diff import ModuleDiff
    from nanochat_explain.queries.find import FindReport
    from nanochat_explain.queries.history import ModuleHistory, Progress
    from nanochat_explain.reports import CoverageReport, Listing


def catalog(templates_dir: str | None = None, cache: bool = True) -> Catalog:
    if templates_dir is None:
        return load_packaged(cache)
    path = Path(templates_dir)
    if not path.is_dir():
        raise UsageError(f"--templates {templates_dir}: no such directory")
    found = load_dir(path)
    if not found.modules:
        raise UsageError(f"--templates {templates_dir}: the folder holds no templates "
                         "(*.yaml files)")
    return found


def _session(repo: str | None, cache: bool, label: str | None = None,
             ref: str | None = None, flag: str = "--ref") -> Session:
    """A session over the checkout (at ``ref``); without ``cache`` every file is parsed."""
    from nanochat_explain.source.cache import FactsCache
    from nanochat_explain.source.locate import at_ref

    source = locate(repo)
    if ref is not None:
        source = at_ref(source, ref, flag)
    return Session(source, label=label, cache=FactsCache() if cache else None, upstream=cache)


def listing(templates_dir: str | None = None, repo: str | None = None,
            ref: str | None = None) -> Listing:
    """The modules; with a checkout (``repo`` or ``ref``), the files each lacks there."""
    from nanochat_explain.reports import Listing

    cat = catalog(templates_dir)
    if repo is None and ref is None:
        return Listing(cat.templates)
    session = _session(repo, cache=False, ref=ref)
    session.upstream = True  # not a run that must parse: the bundle answers faster
    missing = []
    for t in cat.templates:
        # the files of the forms shown: an older form's files are not missing from a newer tree
        shown = set(session.choose(t).shown)
        wanted = tuple(dict.fromkeys(c.file for c in t.claims if c.id in shown))
        present = set(session.source.list_files(wanted))
        missing.append(tuple(f for f in wanted if f not in present))
    return Listing(cat.templates, session.info, tuple(missing))


def resolve(cat: Catalog, name: str) -> Template:
    template = cat.get(name)
    if template is not None:
        return template
    import difflib

    aliases = cat.aliases()
    names = sorted({*cat.names(), *aliases})
    scored = sorted(((difflib.SequenceMatcher(None, name.lower(), n).ratio(), n) for n in names),
                    reverse=True)
    best = scored[0][0] if scored else 0.0
    # only the near-best guesses: "atention" is attention, not also tokenizer
    close = [n for score, n in scored if score >= 0.6 and score >= best - 0.1]
    modules = list(dict.fromkeys(aliases.get(c, c) for c in close))[:3]
    hint = f"; did you mean {' or '.join(modules)}?" if modules else ""
    raise UsageError(f"unknown module {name!r}{hint} (modules: {', '.join(cat.names())})")


@dataclass(frozen=True)
class ExplainRun:
    """What ``explain`` made: the explanation and the files it could not read."""

    explanation: Explanation
    unreadable: tuple[ExplainError, ...]  # files the module needs that could not be parsed


def explain(module: str, repo: str | None, templates_dir: str | None = None,
            cache: bool = True, ref: str | None = None, depth: int | None = None,
            base: str | None = None) -> ExplainRun:
    cat = catalog(templates_dir, cache)
    template = resolve(cat, module)
    session = _session(repo, cache, ref=ref)
    session.mentioned = cat.mentioned
    found = fork_base(session, base)
    if found is None and depth is None and templates_dir is None:
        from nanochat_explain.commands.results import kept

        def run() -> ExplainRun:
            exp = session.explain(template)
            return ExplainRun(exp, tuple(session.problems(exp.results)))

        done = kept(session, "explain", [template.module], run, ExplainRun)
        return dataclasses.replace(done, explanation=dataclasses.replace(
            done.explanation, source=session.info))
    exp = with_depth(session, session.explain(template), depth)
    exp = _with_fork(session, exp, found)
    return ExplainRun(exp, tuple(session.problems(exp.results)))


def fork_base(session: Session, base: str | None) -> tuple[Session, str, bool] | None:
    """The session at the fork's base (named by ``base``, else the newest upstream commit in
    the history of the revision explained: ``--ref``, else HEAD), the base's full id, and
    whether it was named; None when that revision is no fork (an upstream commit, not a git
    checkout, the bundled facts)."""
    from nanochat_explain.source.locate import at_ref, head_commit

    source = session.source
    if source.bundled or head_commit(source.root) is None:
        if base is not None:
            raise UsageError(f"--base {base}: needs a git checkout (--repo PATH)")
        return None
    from nanochat_explain.queries.fork import find_base
    from nanochat_explain.queries.timeline import upstream_commits
    from nanochat_explain.source.git import resolve as resolve_rev

    if base is not None:
        sha = resolve_rev(source.root, base, "--base")
    else:
        head = resolve_rev(source.root, source.ref or "HEAD", "--ref")
        found = find_base(source.root, upstream_commits(), head)
        if found is None or found == head:
            return None  # not sharing history with upstream, or upstream itself
        sha = found
    at = Session(at_ref(source, sha), cache=session.cache, mentioned=session.mentioned)
    return at, sha, base is not None


def with_fork(session: Session, exp: Explanation, base: str | None) -> Explanation:
    return _with_fork(session, exp, fork_base(session, base))


def _with_fork(session: Session, exp: Explanation,
               found: tuple[Session, str, bool] | None) -> Explanation:
    if found is None:
        return exp
    from nanochat_explain.queries.fork import drift

    at, sha, named = found
    return dataclasses.replace(exp, fork=drift(session, at, exp, sha, named))


DEPTH_FILES = ("nanochat/gpt.py", "scripts/base_train.py")


def with_depth(session: Session, exp: Explanation, depth: int | None) -> Explanation:
    """The explanation with the concrete model for ``depth``, or the reason there is none.

    The numbers come from evaluating nanochat's own formulas (the depth evaluator);
    when the code cannot be followed, the explanation keeps its symbolic shapes.
    """
    if depth is None:
        return exp
    from nanochat_explain.depth.phases import DepthUnavailable, evaluate_depth

    try:
        gpt, train = (session.source.read_text(path) for path in DEPTH_FILES)
        report = evaluate_depth(gpt, train, depth)
    except (DepthUnavailable, ExplainError) as exc:
        reason = str(exc)
        if session.source.bundled:
            reason = ("the bundled facts hold no function bodies to evaluate; --depth needs "
                      "a nanochat checkout")
        return dataclasses.replace(exp, depth_note=f"--depth {depth}: {reason}")
    return dataclasses.replace(exp, depth=report.as_dict(),
                               diagram=numeric_shapes(exp.diagram, report.config))


_SHAPE = re.compile(r"\[[^\[\]\n]*\]")
_SHAPE_NAMES = {"n_embd": "n_embd", "n_head": "n_head", "n_kv_head": "n_kv_head",
                "head_dim": "head_dim", "hd": "head_dim", "n_layer": "n_layer",
                "vocab_size": "vocab_size", "padded_vocab": "padded_vocab_size",
                "padded_vocab_size": "padded_vocab_size", "seq_len": "sequence_len",
                "sequence_len": "sequence_len"}


def numeric_shapes(diagram: str, config: dict[str, Any]) -> str:
    """``[B, T, n_embd]`` becomes ``[B, T, 1280]``: names inside shape brackets take the
    values of the evaluated config; B and T stay symbolic.

    Whatever is drawn to the right of a shape keeps its column: a shorter shape is padded
    at the first space after it, a longer one takes spaces from the first run of two or
    more after it (one is always kept).
    """

    def one(m: re.Match[str]) -> str:
        def name(w: re.Match[str]) -> str:
            key = _SHAPE_NAMES.get(w.group(0))
            value = config.get(key) if key else None
            return str(value) if isinstance(value, int) else w.group(0)

        return re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b", name, m.group(0))

    def line(text: str) -> str:
        for m in reversed(list(_SHAPE.finditer(text))):  # right to left: columns to the
            new = one(m)                                   # right are already in place
            head, tail = text[: m.start()] + new, text[m.end():]
            delta = len(m.group(0)) - len(new)
            if delta > 0:
                gap = tail.find(" ")
                if gap >= 0 and tail[gap:].strip():
                    tail = tail[:gap] + " " * delta + tail[gap:]
            elif delta < 0:
                run = re.search(r"  +", tail)
                if run and tail[run.end():].strip():
                    take = min(-delta, len(run.group(0)) - 1)
                    tail = tail[: run.start()] + tail[run.start() + take:]
            text = head + tail
        return text

    return "\n".join(line(text) for text in diagram.split("\n"))


def coverage(repo: str | None, templates_dir: str | None = None,
             cache: bool = True) -> CoverageReport:
    session = _session(repo, cache)
    return core_coverage(session, catalog(templates_dir, cache).templates)


@dataclass(frozen=True)
class AllRun:
    """What ``all`` made: every explanation and the files that could not be read."""

    explanations: tuple[Explanation, ...]
    unreadable: tuple[ExplainError, ...]


def explain_all(repo: str | None, templates_dir: str | None = None,
                label: str | None = None, cache: bool = True, ref: str | None = None,
                depth: int | None = None, base: str | None = None) -> AllRun:
    from nanochat_explain.queries.fork import drift

    session = _session(repo, cache, label, ref)
    cat = catalog(templates_dir, cache)
    session.mentioned = cat.mentioned
    session.prefetch(f for files in cat.files for f in files)  # all at once: one fork
    exps = tuple(with_depth(session, session.explain(t), depth) for t in cat.templates)
    found = fork_base(session, base)
    if found is not None:
        at, sha, named = found
        exps = tuple(dataclasses.replace(e, fork=drift(session, at, e, sha, named))
                     for e in exps)
    return AllRun(exps, tuple(session.problems(r for e in exps for r in e.results)))


def diff(module: str, repo: str | None, base: str, head: str,
         templates_dir: str | None = None, cache: bool = True) -> ModuleDiff:
    """The module's claims, values and symbols that changed from ``base`` to ``head``."""
    from nanochat_explain.queries.diff import diff as module_diff
    from nanochat_explain.source.locate import head_commit

    template = resolve(catalog(templates_dir, cache), module)
    # with no git checkout, upstream revisions are read from the bundled upstream facts
    old = _session(repo, cache, ref=base, flag="--from")
    source = locate(repo)
    if head == "HEAD" and not source.bundled and head_commit(source.root) is None:
        # a plain tree has no HEAD: the newer side is its files as they are, not upstream's
        new = _session(repo, cache)
        return module_diff(template, old, new, f"{base} ({old.source.commit})",
                           f"{source.display} (not a git checkout)")
    new = _session(repo, cache, ref=head, flag="--to")
    return module_diff(template, old, new, f"{base} ({old.source.commit})",
                       f"{head} ({new.source.commit})")


def history(module: str, repo: str | None, since: str | None,
            templates_dir: str | None = None, cache: bool = True,
            progress: Progress | None = None) -> ModuleHistory:
    """When each claim of ``module`` started or stopped holding, and each value changed."""
    from nanochat_explain.queries.history import facts_reader, walk
    from nanochat_explain.source.cache import FactsCache
    from nanochat_explain.source.git import BlobReader, GitRepo
    from nanochat_explain.source.locate import head_sha
    from nanochat_explain.source.text import MAX_BYTES
    from nanochat_explain.source.upstream import UpstreamRepo, required, usable

    template = resolve(catalog(templates_dir, cache), module)
    source = locate(repo)
    head = None if source.bundled else head_sha(source.root)
    if not source.bundled and head is None:  # a plain tree is not upstream's: no history
        raise UsageError(f"history needs a git checkout of nanochat: {source.display} has "
                         "no .git, so its history is unknown (where no checkout is found, "
                         "history walks upstream's, from the bundled facts)")

    def build() -> ModuleHistory:
        if source.bundled:  # no checkout at all: upstream's history, from the bundled facts
            upstream = UpstreamRepo(required("history"))
            return walk(template, upstream, f"nanochat@{upstream.bundle.head.sha[:7]} "
                        "(bundled facts)", since, upstream.facts_of, progress)
        assert head is not None
        bundle = usable() if cache else None
        if bundle is not None and bundle.has_commit(head) and (since is None
                                                               or bundle.has_commit(since)):
            # HEAD is an upstream commit: its history is upstream's, all of it bundled
            upstream = UpstreamRepo(bundle)
            return walk(template, upstream, source.display, since, upstream.facts_of, progress)
        with BlobReader(source.root, MAX_BYTES) as reader:
            facts_of = facts_reader(FactsCache() if cache else None, reader, upstream=cache)
            return walk(template, GitRepo(source.root), source.display, since, facts_of,
                        progress)

    if not cache or (since is not None and not re.fullmatch(r"[0-9a-fA-F]{7,40}", since)):
        return build()  # a name such as HEAD~5 or a branch may mean another commit later
    # the history up to a commit never changes: a second walk is read back whole, keyed by
    # the commit, the template, the code that evaluates claims and the bundle it read
    import pickle

    from nanochat_explain.queries.history import ModuleHistory
    from nanochat_explain.source.cache import memo
    from nanochat_explain.source.upstream import FILE

    code = Path(__file__).resolve().parent.parent
    bundle_file = code / "data" / FILE
    try:
        stamp = bundle_file.stat()
        bundled = f"{stamp.st_size}:{stamp.st_mtime_ns}"
        sources = [p.read_text(encoding="utf-8")
                   for f in _HISTORY_CODE for p in sorted(code.glob(f))]
    except OSError:
        return build()
    parts = [module, since or "", head or "", source.display, bundled,
             pickle.dumps(template, protocol=4).hex(), *sources]
    return memo(f"history-{template.module}", parts, ModuleHistory, build)


# the code a history's result depends on besides the template and the facts
_HISTORY_CODE = ("queries/history.py", "claims/*.py", "facts/model.py", "source/upstream.py",
                 "source/git.py", "templates/forms.py")


@dataclass(frozen=True)
class CheckRun:
    """What ``check`` found: the report and the files that could not be read."""

    report: CheckReport
    unreadable: tuple[ExplainError, ...]


def check(modules: tuple[str, ...], repo: str | None,
          templates_dir: str | None = None, cache: bool = True,
          ref: str | None = None) -> CheckRun:
    cat = catalog(templates_dir, cache)
    # each template is unpickled by the process that checks it (Session.check_all)
    chosen = Planned.of(resolve(cat, m) for m in modules) if modules else cat.planned()
    session = _session(repo, cache, ref=ref)
    session.mentioned = cat.mentioned

    def run() -> CheckRun:
        report = session.check_all(chosen)
        return CheckRun(report, tuple(session.problems(
            r for _, results in report.modules for r in results)))

    if templates_dir is not None:  # templates of the reader's own: not kept
        return run()
    from nanochat_explain.commands.results import kept

    done = kept(session, "check", list(chosen.modules), run, CheckRun)
    return dataclasses.replace(done, report=dataclasses.replace(done.report,
                                                                source=session.info))


def find(query: str, repo: str | None, templates_dir: str | None = None,
         cache: bool = True, ref: str | None = None, limit: int = 10) -> FindReport:
    """The modules and checked statements matching the words of ``query``, best first."""
    from nanochat_explain.queries.find import find as find_in

    session = _session(repo, cache, ref=ref)
    exps = [session.explain(t) for t in catalog(templates_dir, cache).templates]
    return find_in(query, exps, session.info, limit)
