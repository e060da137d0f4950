"""The facts cache: keyed by content, rebuilt when corrupt, safe under concurrent runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import MINI, invoke
from nanochat_explain import core
from nanochat_explain.source.cache import FactsCache, key
from nanochat_explain.source.locate import locate


def fresh(tmp_path):
    core._PARSED.clear()  # the in-process memo would hide the cache
    return FactsCache(tmp_path / "cache")


def test_entries_are_written_and_read_back(tmp_path):
    cache = fresh(tmp_path)
    source = locate(str(MINI))
    facts = core.parse_file(source, "nanochat/gpt.py", cache)
    text = source.read_text("nanochat/gpt.py")
    assert cache.get("nanochat/gpt.py", text) == facts
    assert cache.get("nanochat/gpt.py", text + "\n") is None  # another content, another key
    assert key("a.py", "x") != key("b.py", "x")


def test_corrupt_entries_are_ignored_and_rebuilt(tmp_path):
    cache = fresh(tmp_path)
    source = locate(str(MINI))
    text = source.read_text("nanochat/gpt.py")
    good = core.parse_file(source, "nanochat/gpt.py", cache)
    path = cache._path(key("nanochat/gpt.py", text))
    for garbage in (b"", b"{", b"\x00\xff", json.dumps({"path": 1}).encode(), b"[]"):
        path.write_bytes(garbage)
        core._PARSED.clear()
        assert cache.get("nanochat/gpt.py", text) is None
        assert core.parse_file(source, "nanochat/gpt.py", cache) == good
        assert cache.get("nanochat/gpt.py", text) == good  # rewritten whole


def test_unwritable_cache_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    core._PARSED.clear()
    facts = core.parse_file(locate(str(MINI)), "nanochat/gpt.py", FactsCache(blocker / "sub"))
    assert facts.symbol("MLP") is not None


def test_no_cache_flag_bypasses_it(tmp_path):
    env = {"NANOCHAT_EXPLAIN_CACHE": str(tmp_path / "c")}
    assert invoke(["check", "mlp", "--repo", str(MINI), "--no-cache"], env=env).code == 0
    assert not (tmp_path / "c").exists()
    core._PARSED.clear()
    assert invoke(["check", "mlp", "--repo", str(MINI)], env=env).code == 0
    assert list((tmp_path / "c").rglob("*.json"))


def test_two_processes_filling_the_cache_at_once(tmp_path):
    env = {**os.environ, "NANOCHAT_EXPLAIN_CACHE": str(tmp_path / "shared")}
    env.pop("NANOCHAT_DIR", None)
    cmd = [sys.executable, "-m", "nanochat_explain", "check", "--repo", str(MINI),
           "--format", "json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    first, second = (json.loads(o) for o, _ in outs)
    assert first == second and first["summary"]["fail"] == first["summary"]["error"] == 0
    # and a third run, warm, says the same
    warm = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert json.loads(warm.stdout) == first
    assert not list((tmp_path / "shared").rglob(".tmp-*"))


def test_the_template_cache_is_used_and_rebuilt(tmp_path, monkeypatch):
    import pickle

    from nanochat_explain.templates import packaged as templates

    monkeypatch.setenv("NANOCHAT_EXPLAIN_CACHE", str(tmp_path))
    monkeypatch.setattr(templates, "_read_bytes", lambda entry: None)  # as if edited
    first = templates.load_packaged()
    stored = tmp_path / "templates.pickle"
    assert stored.is_file()

    def refuse(text, name):
        raise AssertionError(f"validated {name} again although the cache holds it")

    real_parse = templates.parse
    monkeypatch.setattr(templates, "parse", refuse)
    again = templates.load_packaged()
    assert again.names() == first.names() and again.get("rope") == first.get("rotary")
    assert again.templates == first.templates
    monkeypatch.setattr(templates, "parse", real_parse)
    for garbage in (b"", b"\x80\x05garbage", pickle.dumps(("other key", first)),
                    pickle.dumps((None, "not a catalog"))):
        stored.write_bytes(garbage)
        rebuilt = templates.load_packaged()
        assert rebuilt.templates == first.templates
    assert pickle.loads(stored.read_bytes())[1].templates == first.templates


def test_a_catalog_unpickles_only_the_template_asked_for(monkeypatch):
    import pickle

    from nanochat_explain.templates.packaged import load_packaged

    packed = pickle.loads(pickle.dumps(load_packaged()))
    assert packed._loaded == {}
    assert packed.get("attn").module == "attention"
    assert set(packed._loaded) == {"attention"}


def test_entries_under_the_key_of_earlier_versions_are_not_read(tmp_path):
    """Earlier versions stored facts read from the bundled upstream facts under this key;
    they hold only the comments their bundle's claims quoted."""
    from nanochat_explain.source.cache import digest

    cache = fresh(tmp_path)
    source = locate(str(MINI))
    text = source.read_text("nanochat/gpt.py")
    facts = core.parse_text(text, "nanochat/gpt.py")
    cache._store(digest("nanochat/gpt.py", text), facts)
    assert cache.get("nanochat/gpt.py", text) is None
