"""The flags the commands take, as data: one table, so that a flag reads the same wherever
it is taken; the CLI makes click options of them (and the README's flag table says what
they mean)."""

from __future__ import annotations

from dataclasses import dataclass

from nanochat_explain.render import FORMATS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Flag:
    decls: tuple[str, ...]  # the option's names, then the parameter it sets when renamed
    help: str
    metavar: str | None = None
    is_flag: bool = False
    choices: tuple[str, ...] | None = None
    limits: tuple[int, int] | None = None  # an integer in this closed range
    default: str | int | None = None
    show_default: bool = False
    required: bool = False

    def settings(self) -> dict[str, Any]:
        """The keywords of the option but its type, each only when set (click infers, for
        instance, whether an option takes a value from whether ``is_flag`` was given)."""
        given = {"metavar": self.metavar, "is_flag": self.is_flag or None,
                 "default": self.default, "show_default": self.show_default or None,
                 "required": self.required or None}
        return {"help": self.help, **{k: v for k, v in given.items() if v is not None}}


TEXT_FORMATS = ("plain", "markdown", "json")
_CHECKOUT = "nanochat checkout (default: $NANOCHAT_DIR, else the"

# By name; ``name:command`` is the flag as one command words it
FLAGS: dict[str, Flag] = {
    "repo": Flag(("--repo",), f"{_CHECKOUT} checkout enclosing the current directory).",
                 metavar="PATH"),
    "repo:snapshot": Flag(("--repo",), f"{_CHECKOUT} enclosing checkout).", metavar="PATH"),
    "repo:mcp": Flag(("--repo",), f"{_CHECKOUT} checkout enclosing the current directory, "
                     "else the bundled facts).", metavar="PATH"),
    "repo:list": Flag(("--repo",), "Also say which files each module needs that this "
                      "checkout lacks.", metavar="PATH"),
    "templates": Flag(("--templates", "templates_dir"),
                      "Use the templates in DIR instead of the packaged ones.", metavar="DIR"),
    "templates:snapshot": Flag(("--templates", "templates_dir"),
                               "Snapshot the files the templates in DIR read.", metavar="DIR"),
    "no-cache": Flag(("--no-cache", "no_cache"), "Parse every file again instead of using the "
                     "facts cache ($NANOCHAT_EXPLAIN_CACHE, default: the user cache folder).",
                     is_flag=True),
    "ref": Flag(("--ref",), "Read nanochat as it was at git revision REV (from git's objects; "
                "the work tree is not touched).", metavar="REV"),
    "base": Flag(("--base",), "The revision a fork started from (default: the newest upstream "
                 "nanochat commit in the checkout's history): say which forms the fork's own "
                 "commits changed, and what upstream changed since.", metavar="REV"),
    "depth": Flag(("--depth",), "Show the concrete model scripts/base_train.py builds at "
                  "--depth N: config, numeric shapes, parameters, FLOPs, KV-cache bytes, "
                  "optimizer groups.", metavar="N", limits=(1, 1024)),
    "format": Flag(("--format", "fmt"), "Output format (default: terminal on a TTY, plain "
                   "when piped).", choices=FORMATS),
    "format:text": Flag(("--format", "fmt"), "Output format.", choices=TEXT_FORMATS,
                        default="plain"),
    "strict": Flag(("--strict",), "Exit 1 when any claim fails or errors.", is_flag=True),
    "output": Flag(("-o", "--output", "out"), "Where to write the snapshot ('-' for standard "
                   "output).", metavar="FILE", required=True),
    "force:snapshot": Flag(("--force",), "Overwrite FILE if it exists and differs.",
                           is_flag=True),
    "upstream": Flag(("--upstream",), "Write instead the bundle of upstream facts (the "
                     "package's data/upstream.facts.zlib): the facts of every version of every "
                     "file the templates read, at every commit of the clone up to --until.",
                     is_flag=True),
    "until": Flag(("--until",), "With --upstream: the newest commit.", metavar="REV",
                  default="HEAD", show_default=True),
    "agent": Flag(("--agent",), "claude: .claude/skills/explain/ (Claude Code); agents: "
                  ".agents/skills/explain/ (Codex, Gemini CLI, OpenCode, Cursor).",
                  choices=("claude", "agents"), default="claude", show_default=True),
    "user": Flag(("--user",), "Install under the home folder, for every project.",
                 is_flag=True),
    "dest": Flag(("--dest",), "Install under DIR (default: the nanochat checkout if one is "
                 "found, else the current directory).", metavar="DIR"),
    "check:skill": Flag(("--check", "check_only"), "Write nothing; exit 1 with a diff when the "
                        "installed skill differs from this version's.", is_flag=True),
    "force:skill": Flag(("--force",), "Overwrite an existing SKILL.md that differs.",
                        is_flag=True),
    "out": Flag(("--out", "out"), "Folder for one markdown file per module and an index.md.",
                metavar="DIR"),
    "update": Flag(("--update", "update"), "Fill the <!-- nanochat-explain: MODULE --> ... "
                   "<!-- /nanochat-explain --> regions of the markdown FILEs, leaving the rest "
                   "of them untouched.", is_flag=True),
    "check:docs": Flag(("--check", "check_only"), "Write nothing; print a unified diff and "
                       "exit 1 when a file (or region) differs from what the code says now.",
                       is_flag=True),
    "force:docs": Flag(("--force",), "Overwrite files in DIR that nanochat-explain did not "
                       "write.", is_flag=True),
    "link-base": Flag(("--link-base",), "With --update: link file:line references to "
                      "URL/FILE#LLINE (default: the commit on GitHub when the checkout's remote "
                      "is there; else no links).", metavar="URL"),
    "from": Flag(("--from", "base"), "The older revision.", metavar="REV", required=True),
    "to": Flag(("--to", "head"), "The newer revision.", metavar="REV", default="HEAD",
               show_default=True),
    "since": Flag(("--since",), "Walk only the commits after REV (default: the whole "
                  "history).", metavar="REV"),
    "limit": Flag(("--limit",), "How many statements to show.", limits=(1, 500), default=10,
                  show_default=True),
}
SOURCE_FLAGS = ("repo", "templates", "no-cache")  # where the code and the templates come from
