"""Find the nanochat checkout to explain and read files from it."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nanochat_explain.errors import ExplainError, FileMissing, SourceError
from nanochat_explain.source.text import MAX_BYTES, decode

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess

    from nanochat_explain.source.snapshot import Bundle
    from nanochat_explain.source.upstream import Upstream

MARKER = "nanochat/gpt.py"
ENV_VAR = "NANOCHAT_DIR"
HINT = f"pass --repo PATH or set {ENV_VAR} to a nanochat checkout"


@dataclass(frozen=True)
class Source:
    """A nanochat checkout on disk, or the bundled facts of one."""

    root: Path
    display: str  # how the output names it: relative to the working directory when inside it
    commit: str | None  # short id of HEAD, None outside git
    status: GitStatus | None = None  # outside git, at a --ref, or for the bundle: None
    bundle: Bundle | None = None
    ref: str | None = None  # a git revision: files are read from git's objects, not the work tree
    tree: dict[str, str] | None = None  # at ``ref``: path -> blob id
    upstream: Upstream | None = None  # set when ``tree`` comes from the bundled upstream facts

    @property
    def bundled(self) -> bool:
        """Whether the facts come from the package rather than from a checkout."""
        return self.bundle is not None or self.upstream is not None

    @property
    def dirty(self) -> bool | None:
        """Whether tracked files differ from HEAD; None when git cannot tell."""
        return self.status.changed() if self.status is not None else None

    def list_files(self, scope: tuple[str, ...]) -> list[str]:
        """Python files under the given folders (ending in /) or equal to the given paths."""
        listed = (self.bundle.files if self.bundle is not None
                  else self.tree if self.tree is not None else None)
        if listed is not None:
            return sorted(p for p in listed if (p.endswith(".py") or p in scope) and any(
                p == s or (s.endswith("/") and p.startswith(s)) for s in scope))
        found: set[str] = set()
        for entry in scope:
            if entry.endswith("/"):
                folder = self.root / entry
                if folder.is_dir():
                    found.update(p.relative_to(self.root).as_posix()
                                 for p in folder.rglob("*.py") if p.is_file())
            elif (self.root / entry).is_file():
                found.add(entry)
        return sorted(found)

    def read_text(self, relpath: str) -> str:
        if self.upstream is not None and relpath not in (self.tree or {}):
            if relpath in self.upstream.paths:
                raise FileMissing(f"file not found at {self.ref}", file=relpath)
            raise SourceError("not in the bundled upstream facts", file=relpath)
        if self.bundled:
            raise SourceError("the bundled facts hold no source text", file=relpath)
        if self.tree is not None:
            return decode(self._blob(relpath), relpath)
        path = self.root / relpath
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on older Pythons
            raise SourceError("cannot resolve the path", file=relpath) from None
        if real != self.root and self.root not in real.parents:
            raise SourceError("leads outside the repository (a symbolic link?)",
                              file=relpath) from None
        try:
            # opened without waiting (a FIFO would wait for a writer), then looked at through
            # the descriptor, so that what is read is what was looked at
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(f.fileno())
                if stat.S_ISDIR(st.st_mode):
                    raise SourceError("is a directory, expected a file", file=relpath)
                if not stat.S_ISREG(st.st_mode):
                    raise SourceError("not a regular file (a FIFO, socket or device?)",
                                      file=relpath)
                if st.st_size > MAX_BYTES:
                    raise SourceError(f"too large to parse ({st.st_size / 1e6:.1f} MB; the "
                                      f"limit is {MAX_BYTES / 1e6:.0f} MB)", file=relpath)
                data = f.read()
        except (FileNotFoundError, NotADirectoryError):  # a parent that is a file: absent too
            raise FileMissing("file not found", file=relpath) from None
        except IsADirectoryError:
            raise SourceError("is a directory, expected a file", file=relpath) from None
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror}", file=relpath) from None
        return decode(data, relpath)

    def _blob(self, relpath: str) -> bytes:
        assert self.tree is not None
        blob = self.tree.get(relpath)
        if blob is None:
            raise FileMissing(f"file not found at {self.ref}", file=relpath)
        done = _git(self.root, "cat-file", "blob", blob)
        if done is None:
            raise SourceError(f"cannot read blob {blob[:12]} at {self.ref}", file=relpath)
        if len(done) > MAX_BYTES:
            raise SourceError(f"too large to parse ({len(done) / 1e6:.1f} MB; the limit is "
                              f"{MAX_BYTES / 1e6:.0f} MB)", file=relpath)
        return done


def _git(root: Path, *args: str) -> bytes | None:
    """Output of a read-only git command in ``root``, or None when it fails."""
    import subprocess  # here: a plain tree never needs it, and it costs start-up time

    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def at_ref(source: Source, ref: str, flag: str = "--ref") -> Source:
    """The same checkout as it was at git revision ``ref`` (the work tree is not touched).

    With no git checkout, or a revision the checkout lacks, an upstream nanochat commit is
    read from the bundled upstream facts. ``flag`` is the option the revision was given
    with, for messages.
    """
    from nanochat_explain.errors import UsageError

    if ref.startswith("-"):
        raise UsageError(f"{flag} {ref}: not a revision")
    if source.bundled or head_commit(source.root) is None:
        return at_upstream(ref, flag)
    sha = _git(source.root, "rev-parse", "--verify", "--quiet", "--end-of-options",
               f"{ref}^{{commit}}")
    if not sha:
        # a commit id the checkout lacks (a shallow clone, a fork) may be upstream's; a
        # name such as HEAD~5 means the checkout's own history, never upstream's
        if re.fullmatch(r"[0-9a-fA-F]{4,40}", ref):
            try:
                return at_upstream(ref, flag)
            except ExplainError:
                pass
        raise UsageError(f"{flag} {ref}: no such revision in {source.display}")
    full = sha.decode().strip()
    listing = _git(source.root, "ls-tree", "-r", "-z", full)
    if listing is None:
        raise UsageError(f"{flag} {ref}: cannot list the files of {full[:7]}")
    tree: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        if kind == "blob" and mode != "120000":  # symbolic links are not followed
            tree[path.decode("utf-8", "surrogateescape")] = blob
    if MARKER not in tree:
        raise SourceError(f"{flag} {ref}: {MARKER} does not exist at {full[:7]}")
    return Source(root=source.root, display=source.display, commit=full[:7],
                  ref=ref, tree=tree)


def at_upstream(ref: str, flag: str = "--ref") -> Source:
    """Upstream nanochat at ``ref``, from the bundled upstream facts: no checkout needed."""
    from nanochat_explain.source.upstream import required

    upstream = required(f"{flag} {ref}")
    commit = upstream.resolve(ref, flag)
    return Source(root=Path("."), display=f"nanochat@{commit.sha[:7]}", commit=commit.sha[:7],
                  ref=ref, tree=upstream.tree(commit), upstream=upstream)


def _display(root: Path, cwd: Path) -> str:
    """The folder's name when the working directory is in the checkout ("." or ".." say
    nothing); relative when the checkout is below it; else from ~ or absolute."""
    if root == cwd or root in cwd.parents:
        return root.name or root.as_posix()
    if cwd in root.parents:
        return Path(os.path.relpath(root, cwd)).as_posix()
    try:
        return "~/" + root.relative_to(Path.home()).as_posix()
    except ValueError:
        return root.as_posix()


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text[len("gitdir:") :].strip())
            return target if target.is_absolute() else root / target
    return None


def head_commit(root: Path) -> str | None:
    """Short id of HEAD when ``root`` itself is a git checkout, read without running git."""
    sha = head_sha(root)
    return sha[:7] if sha is not None else None


def head_sha(root: Path) -> str | None:
    """The id of HEAD when ``root`` itself is a git checkout, read without running git."""
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head[len("ref:") :].strip()
        common = git_dir
        commondir = git_dir / "commondir"
        if commondir.is_file():
            common = git_dir / commondir.read_text(encoding="utf-8").strip()
        for base in (git_dir, common):
            loose = base / ref
            if loose.is_file():
                return loose.read_text(encoding="utf-8").strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
    except OSError:
        return None
    return None  # a branch with no commits yet


class GitStatus:
    """``git status`` of a checkout, started at once and read when the output needs it,
    so that it runs while the claims are checked instead of before."""

    def __init__(self, root: Path) -> None:
        import subprocess

        self._answer: bool | None = None
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["git", "--no-optional-locks", "-C", str(root), "status", "--porcelain",
                 "--untracked-files=no"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        except OSError:
            self._proc = None

    def changed(self) -> bool | None:
        proc, self._proc = self._proc, None
        if proc is not None:
            import subprocess

            try:
                out, _ = proc.communicate(timeout=30)
                self._answer = bool(out.strip()) if proc.returncode == 0 else None
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        return self._answer

    def __del__(self) -> None:
        self.changed()  # reap the process even when no output asked for the answer


def bundled() -> Source:
    from nanochat_explain.source.snapshot import load_bundled

    bundle = load_bundled()
    return Source(root=Path("."), display=f"nanochat@{bundle.commit}", commit=bundle.commit,
                  bundle=bundle)


def is_checkout(path: Path) -> bool:
    return (path / MARKER).is_file()


def _folder_hint(file: Path) -> str:
    """What to pass instead of a file: the checkout that holds it, when there is one."""
    for folder in file.parents:
        if is_checkout(folder):
            return f"pass the checkout's folder: {_display(folder, Path.cwd().resolve())}"
    return "pass the folder of a nanochat checkout"


def locate(
    repo: str | None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Source:
    """``--repo``, else ``$NANOCHAT_DIR``, else the checkout enclosing ``cwd``, else the
    bundled facts."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    if repo is not None or env.get(ENV_VAR):
        given = repo if repo is not None else env[ENV_VAR]
        origin = "--repo" if repo is not None else ENV_VAR
        root = (cwd / Path(given).expanduser()).resolve()
        if root.is_file():
            raise SourceError(f"{origin} {given}: is a file, not a folder; {_folder_hint(root)}")
        if not root.is_dir():
            raise SourceError(f"{origin} {given}: no such directory; {HINT}")
        if not is_checkout(root):
            raise SourceError(f"{origin} {given}: not a nanochat checkout (no {MARKER}); {HINT}")
    else:
        for candidate in (cwd.resolve(), *cwd.resolve().parents):
            if is_checkout(candidate):
                root = candidate
                break
        else:
            return bundled()
    commit = head_commit(root)
    return Source(root=root, display=_display(root, cwd.resolve()), commit=commit,
                  status=GitStatus(root) if commit else None)
