"""The bundled facts of every upstream blob: rebuilt byte for byte, equal to a fresh parse,
fresh for this extractor and these templates, and used instead of parsing or git."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import MINI, invoke
from nanochat_explain.facts.model import to_data
from nanochat_explain.facts.parse import extract_text
from nanochat_explain.source import upstream
from nanochat_explain.source.cache import FACTS_VERSION
from nanochat_explain.source.snapshot import quoting, shipped_data
from nanochat_explain.templates.packaged import load_packaged

CLAIMS = [c for t in load_packaged().templates for c in t.claims]

DATA = Path(upstream.__file__).resolve().parent.parent / "data" / upstream.FILE


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    file.write_text(text.replace(old, new), encoding="utf-8")


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small upstream of our own: the fixture tree, a linear edit, a side branch merged
    back, a file that appears late, and a commit that changes no file the templates read."""
    repo = tmp_path_factory.mktemp("upstream") / "nanochat"
    shutil.copytree(MINI, repo)
    late = repo / "nanochat" / "fp8.py"
    fp8 = late.read_text(encoding="utf-8")
    late.unlink()
    _git(repo, "init", "-q")
    _commit(repo, "initial")
    _edit(repo, "nanochat/gpt.py", "base=100000", "base=10000")
    _commit(repo, "rope base 10000")
    _git(repo, "checkout", "-qb", "side")
    (repo / "nanochat" / "tokenizer.py").write_text(
        (repo / "nanochat" / "tokenizer.py").read_text(encoding="utf-8") + "\nSIDE = 1\n",
        encoding="utf-8")
    _commit(repo, "side: tokenizer")
    _git(repo, "checkout", "-q", "main")
    _edit(repo, "nanochat/gpt.py", "base=10000", "base=100000")
    _commit(repo, "rope base 100000")
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    late.write_text(fp8, encoding="utf-8")
    _commit(repo, "fp8 arrives")
    (repo / "README.md").write_text("unrelated\n", encoding="utf-8")
    _commit(repo, "readme only")
    return repo


@pytest.fixture(scope="module")
def built(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "upstream.facts.zlib"
    result = invoke(["snapshot", "--upstream", "--repo", str(clone), "-o", str(out)])
    assert result.code == 0, result.err
    sources = {s for t in load_packaged().templates for s in t.sources}
    assert f"19 blobs of {len(sources)} files at 7 commits" in result.err
    return out


@pytest.fixture
def use(built: Path, monkeypatch: pytest.MonkeyPatch) -> upstream.Upstream:
    """The fixture's bundle in place of the shipped one."""
    bundle = upstream.Upstream(zlib.decompress(built.read_bytes()))
    monkeypatch.setattr(upstream, "_loaded", lambda: bundle)
    return bundle


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_rebuilding_gives_identical_bytes(clone: Path, built: Path, tmp_path: Path):
    again = tmp_path / "again.zlib"
    assert invoke(["snapshot", "--upstream", "--repo", str(clone), "-o", str(again)]).code == 0
    assert again.read_bytes() == built.read_bytes()
    result = invoke(["snapshot", "--upstream", "--repo", str(clone), "-o", str(again)])
    assert result.code == 0 and result.err.startswith("unchanged:")


def test_every_bundled_blob_equals_a_fresh_parse(clone: Path, use: upstream.Upstream):
    seen = list(upstream.iter_blobs(use))
    # the fixture's 17 sources (it has no mid_train.py), a second gpt.py and tokenizer.py
    assert len(seen) == len(use.blob_ids) == 17 + 2
    for path, blob in seen:
        data = subprocess.run(["git", "-C", str(clone), "cat-file", "blob", blob], check=True,
                              capture_output=True).stdout
        assert upstream.blob_id(data) == blob
        text = data.decode("utf-8")
        fresh = extract_text(text, path)
        facts = use.facts(blob, path)
        assert facts is not None and to_data(facts) == shipped_data(fresh, CLAIMS), path


def test_the_bundle_records_every_commit_and_its_blobs(clone: Path, use: upstream.Upstream):
    shas = _git(clone, "rev-list", "--topo-order", "--reverse", "HEAD").split()
    assert [c.sha for c in use.commits] == shas
    assert use.facts_version == FACTS_VERSION
    for commit in use.commits:
        listing = _git(clone, "ls-tree", "-r", commit.sha).splitlines()
        tree = {line.split("\t")[1]: line.split()[2] for line in listing}
        assert use.tree(commit) == {p: b for p, b in tree.items() if p in use.paths}
    assert use.resolve("HEAD~1").sha == shas[-2]
    assert use.resolve(shas[0][:7]).sha == use.resolve(shas[0]).sha == shas[0]


@pytest.fixture
def parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths parsed from now on, with empty caches."""
    import nanochat_explain.facts.extract as extract
    from nanochat_explain import core

    monkeypatch.setenv("NANOCHAT_EXPLAIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(core, "_PARSED", {})
    seen: list[str] = []
    real = extract.extract
    monkeypatch.setattr(extract, "extract", lambda text, path: seen.append(path)
                        or real(text, path))
    return seen


def test_upstream_content_is_never_parsed(clone: Path, use: upstream.Upstream, tmp_path: Path,
                                          parsed: list[str]):
    plain = tmp_path / "plain"
    shutil.copytree(clone, plain, ignore=shutil.ignore_patterns(".git"))
    for tree in (clone, plain):  # a git checkout and a plain tree
        result = invoke(["check", "--repo", str(tree), "--format", "json"])
        assert result.code in (0, 1), result.err
        assert parsed == []
    _edit(plain, "nanochat/gpt.py", "base=100000", "base=100001")
    invoke(["check", "rotary", "--repo", str(plain), "--format", "json"])
    assert parsed == ["nanochat/gpt.py"]  # edited: parsed; the other files still are not


def test_a_plain_tree_of_upstream_blobs_is_read_and_hashed_once(
        clone: Path, use: upstream.Upstream, tmp_path: Path, parsed: list[str],
        monkeypatch: pytest.MonkeyPatch):
    from nanochat_explain.facts import processes
    from nanochat_explain.source.locate import Source

    plain = tmp_path / "plain"
    shutil.copytree(clone, plain, ignore=shutil.ignore_patterns(".git"))
    monkeypatch.setattr(processes, "_cores", lambda: 1)  # one process: every read is seen
    read, hashed = [], []
    real_read, real_id = Source.read_text, upstream.blob_id
    monkeypatch.setattr(Source, "read_text",
                        lambda self, rel: read.append(rel) or real_read(self, rel))
    monkeypatch.setattr(upstream, "blob_id", lambda data: hashed.append(data) or real_id(data))
    result = invoke(["check", "--repo", str(plain), "--format", "json"])
    assert result.code in (0, 1), result.err
    assert parsed == []
    sources = {s for t in load_packaged().templates for s in t.sources}
    there = sorted(s for s in sources if (plain / s).is_file())
    assert sorted(r for r in read if r in there) == there  # each once, none twice
    assert len(hashed) == len(there)


def test_no_cache_parses_even_upstream_content(clone: Path, use: upstream.Upstream,
                                               parsed: list[str]):
    invoke(["check", "rotary", "--repo", str(clone), "--no-cache", "--format", "json"])
    assert parsed == ["nanochat/gpt.py"]


def _json(args: list[str]) -> dict:
    result = invoke([*args, "--format", "json"])
    assert result.code in (0, 1), result.err
    data = json.loads(result.out)
    for key in ("source", "from", "to"):
        data.pop(key, None)
    return data


@pytest.mark.parametrize("ref", ["HEAD", "HEAD~3", "HEAD~2^2", "side"])
def test_ref_with_no_checkout_equals_ref_in_the_clone(clone, use, nowhere, ref):
    sha = _git(clone, "rev-parse", ref)
    rev = sha[:7] if ref == "side" else ref  # a branch name is the clone's, not upstream's
    assert _json(["check", "--ref", rev]) == _json(["check", "--repo", str(clone), "--ref", rev])
    explained = invoke(["rotary", "--ref", sha, "--format", "plain"])
    assert explained.code == 0
    assert f"checked against nanochat@{sha[:7]} (bundled facts)" in explained.out


def test_history_and_diff_with_no_checkout_equal_the_clones(clone, use, nowhere):
    for module in ("rotary", "tokenizer", "precision"):
        ours = _json(["history", module])
        assert ours == _json(["history", module, "--repo", str(clone)])
        first = _git(clone, "rev-list", "--max-parents=0", "HEAD")[:7]
        assert (_json(["history", module, "--since", first])
                == _json(["history", module, "--since", first, "--repo", str(clone)]))
    root = _git(clone, "rev-list", "--max-parents=0", "HEAD")[:7]
    assert (_json(["diff", "rotary", "--from", root])
            == _json(["diff", "rotary", "--from", root, "--repo", str(clone)]))


def test_list_with_no_checkout_names_files_missing_at_the_ref(clone, use, nowhere):
    root = _git(clone, "rev-list", "--max-parents=0", "HEAD")[:7]
    result = invoke(["list", "--ref", root, "--format", "plain"])
    assert result.code == 0 and "missing here: nanochat/fp8.py" in result.out


def test_a_bad_or_ambiguous_revision_is_a_usage_error(use, nowhere):
    for ref in ("nonsense", "zzzz", "HEAD~99"):
        result = invoke(["rotary", "--ref", ref])
        assert result.code == 2 and result.err.startswith(f"nanochat-explain: --ref {ref}:")


def test_a_bundle_of_another_facts_version_is_never_used(use, nowhere, monkeypatch):
    lines = zlib.decompress(DATA.read_bytes()).split(b"\n")
    head = json.loads(lines[0])
    head["facts_version"] = "facts-0-old"
    stale = upstream.Upstream(b"\n".join([json.dumps(head).encode(), *lines[1:]]))
    monkeypatch.setattr(upstream, "_loaded", lambda: stale)
    assert upstream.usable() is None
    assert upstream.facts_of_blob(stale.blob_ids[0], "nanochat/gpt.py") is None
    result = invoke(["rotary", "--ref", "HEAD"])
    assert result.code == 3
    assert "facts-0-old" in result.err and "snapshot --upstream" in result.err


# -- the shipped bundle -----------------------------------------------------------------


def test_shipped_bundle_is_fresh():
    """Fails after the extractor or the templates' sources change; the fix is one command."""
    shipped = upstream.Upstream(zlib.decompress(DATA.read_bytes()))
    sources = sorted({s for t in load_packaged().templates for s in t.sources})
    stale = (f"{upstream.FILE} is stale: rebuild it from a clone of upstream nanochat: "
             f"{upstream.REBUILD}")
    assert shipped.schema == upstream.SCHEMA_VERSION, stale
    assert shipped.facts_version == FACTS_VERSION, stale
    assert list(shipped.paths) == sources, stale
    assert list(shipped.quoted) == quoting(CLAIMS), stale
    assert shipped.commits[0].sha.startswith("3a5e0bc")
    assert shipped.head.sha.startswith(upstream_head())


def upstream_head() -> str:
    from nanochat_explain.source.snapshot import load_bundled

    return load_bundled().commit


def test_shipped_bundle_is_small():
    assert DATA.stat().st_size < 400_000


def test_rotary_at_the_first_commit_with_no_checkout(nowhere):
    result = invoke(["rotary", "--ref", "3a5e0bc", "--format", "json"])
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["values"]["rope_base"] == 10000
    assert data["source"] == {"repo": "nanochat@3a5e0bc", "commit": "3a5e0bc",
                              "bundled": True, "dirty": None, "ref": "3a5e0bc"}


NANOCHAT = os.environ.get("NANOCHAT_DIR")


@pytest.mark.skipif(not NANOCHAT, reason="needs NANOCHAT_DIR")
def test_shipped_facts_equal_a_fresh_parse_of_a_sample_of_blobs():
    assert NANOCHAT is not None
    shipped = upstream.Upstream(zlib.decompress(DATA.read_bytes()))
    blobs = sorted(upstream.iter_blobs(shipped))
    for path, blob in random.Random(12).sample(blobs, 40):
        text = subprocess.run(["git", "-C", NANOCHAT, "cat-file", "blob", blob], check=True,
                              capture_output=True).stdout.decode("utf-8")
        facts = shipped.facts(blob, path)
        assert facts is not None and to_data(facts) == shipped_data(extract_text(text, path),
                                                                    CLAIMS)


@pytest.mark.skipif(not NANOCHAT, reason="needs NANOCHAT_DIR")
def test_shipped_bundle_is_the_rebuild_of_upstream(tmp_path):
    assert NANOCHAT is not None
    shipped = upstream.Upstream(zlib.decompress(DATA.read_bytes()))
    out = tmp_path / "rebuilt.zlib"
    result = invoke(["snapshot", "--upstream", "--repo", NANOCHAT, "--until", shipped.head.sha,
                     "-o", str(out)])
    assert result.code == 0, result.err
    # the content, not the compressed bytes: another zlib may compress differently
    assert zlib.decompress(out.read_bytes()) == zlib.decompress(DATA.read_bytes()), (
        f"{upstream.FILE} is stale: {upstream.REBUILD}")


def test_a_second_history_walk_is_read_back(clone, use, tmp_path, monkeypatch):
    import nanochat_explain.queries.history as history

    monkeypatch.setenv("NANOCHAT_EXPLAIN_CACHE", str(tmp_path / "cache"))
    args = ["history", "rotary", "--repo", str(clone), "--format", "json"]
    first = invoke(args)
    assert first.code == 0, first.err

    def refuse(*args, **kwargs):
        raise AssertionError("walked again")

    monkeypatch.setattr(history, "walk", refuse)
    again = invoke(args)
    assert again.code == 0 and again.out == first.out
    assert "walked again" in invoke([*args, "--no-cache"]).err  # --no-cache walks


def test_facts_read_from_a_bundle_are_not_served_for_another(clone, tmp_path, monkeypatch):
    """A package upgrade may ship a bundle that keeps more comments (new ``comment``
    claims quote them) under the same facts version: what the previous bundle held must
    not come back from the facts cache then."""
    from nanochat_explain import core
    from nanochat_explain.source.cache import FactsCache

    paths = sorted({s for t in load_packaged().templates for s in t.sources})
    older = upstream.build(clone, paths, claims=[c for c in CLAIMS if c.kind != "comment"])
    newer = upstream.build(clone, paths, claims=CLAIMS)
    bundles = [upstream.Upstream(zlib.decompress(b.data)) for b in (older, newer)]
    texts = {p: (clone / p).read_text(encoding="utf-8") for p in paths if (clone / p).is_file()}

    def facts(bundle: upstream.Upstream, path: str):
        return bundle.facts(upstream.blob_id(texts[path].encode("utf-8")), path)

    differ = [p for p in texts if facts(bundles[0], p) != facts(bundles[1], p)]
    assert differ, "the fixture's files hold no comment a claim quotes"
    cache = FactsCache(tmp_path / "cache")
    for bundle in bundles:  # the same cache folder before and after the upgrade
        monkeypatch.setattr(upstream, "_loaded", lambda bundle=bundle: bundle)
        core._PARSED.clear()  # a new process
        for path in differ:
            assert core.parse_text(texts[path], path, cache) == facts(bundle, path)
