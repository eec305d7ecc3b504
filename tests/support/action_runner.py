"""Running a composite action's steps as the GitHub Actions runner does, on this machine.

Only what ``action.yml`` uses is understood, and anything else fails loudly rather than being
guessed at: ``${{ ... }}`` expressions over ``inputs``, ``steps.<id>.outputs``, ``runner`` and
``github`` with ``||``, ``&&``, ``!``, ``==``, ``!=`` and parentheses; ``shell: bash`` steps,
run as the runner runs them (``bash --noprofile --norc -eo pipefail FILE``, in the workspace,
with a fresh ``GITHUB_OUTPUT`` file per step whose ``name=value`` and ``name<<DELIMITER``
lines become the step's outputs); and ``uses:`` steps, which the caller stands in for with a
function per action (the real ones need GitHub).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

Value = str | bool | None
UsesHandler = Callable[[dict[str, str]], dict[str, str]]
"""Stands in for a ``uses:`` action: gets its evaluated ``with:``, returns its outputs."""

BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
"""What ``shell: bash`` runs a step's script with (the runner's own template)."""

_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>\|\||&&|==|!=|!|\(|\))"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.-]*))"
)


def load_action(path: Path) -> dict[str, Any]:
    """The action's metadata, parsed as YAML."""
    loaded: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return loaded


def truthy(value: Value) -> bool:
    """A value as a condition: false, null and '' are false."""
    return value not in (None, False, "")


def evaluate(expression: str, context: Mapping[str, Any]) -> Value:
    """The value of one expression (what sits between ``${{`` and ``}}``)."""
    return _Parser(expression, context).parse()


def render(text: str, context: Mapping[str, Any]) -> str:
    """``text`` with each ``${{ ... }}`` replaced by its value as the runner writes it."""

    def value_of(match: re.Match[str]) -> str:
        value = evaluate(match[1], context)
        if isinstance(value, bool):
            return "true" if value else "false"
        return value or ""

    return _TEMPLATE.sub(value_of, text)


def condition(text: str, context: Mapping[str, Any]) -> bool:
    """Whether a step's ``if:`` holds (written with or without ``${{ }}``)."""
    stripped = text.strip()
    if match := _TEMPLATE.fullmatch(stripped):
        stripped = match[1]
    return truthy(evaluate(stripped, context))


class _Parser:
    def __init__(self, expression: str, context: Mapping[str, Any]) -> None:
        self._tokens: list[tuple[str, str]] = []
        position = 0
        expression = expression.rstrip()
        while position < len(expression):
            match = _TOKEN.match(expression, position)
            assert match, f"not understood: {expression[position:]!r}"
            kind = match.lastgroup
            assert kind is not None
            self._tokens.append((kind, match[kind]))
            position = match.end()
        self._context = context

    def parse(self) -> Value:
        value = self._or()
        assert not self._tokens, f"left over: {self._tokens}"
        return value

    def _peek(self) -> str | None:
        return self._tokens[0][1] if self._tokens and self._tokens[0][0] == "op" else None

    def _or(self) -> Value:
        value = self._and()
        while self._peek() == "||":
            self._tokens.pop(0)
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Value:
        value = self._comparison()
        while self._peek() == "&&":
            self._tokens.pop(0)
            right = self._comparison()
            value = right if truthy(value) else value
        return value

    def _comparison(self) -> Value:
        value = self._unary()
        if (op := self._peek()) in ("==", "!="):
            self._tokens.pop(0)
            right = self._unary()
            # GitHub compares strings ignoring case.
            if isinstance(value, str) and isinstance(right, str):
                same = value.casefold() == right.casefold()
            else:
                same = value == right
            return same if op == "==" else not same
        return value

    def _unary(self) -> Value:
        if self._peek() == "!":
            self._tokens.pop(0)
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Value:
        assert self._tokens, "expression ends too soon"
        kind, text = self._tokens.pop(0)
        if kind == "op":
            assert text == "(", f"unexpected {text!r}"
            value = self._or()
            closing = self._tokens.pop(0) if self._tokens else None
            assert closing == ("op", ")"), "unbalanced parentheses"
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        literals: dict[str, Value] = {"true": True, "false": False, "null": None}
        if text in literals:
            return literals[text]
        assert not (self._tokens and self._tokens[0] == ("op", "(")), f"no functions: {text}"
        found: Any = self._context
        for part in text.split("."):
            # A step that has not run (or no such step) has no outputs: null, as on GitHub.
            if found is None:
                break
            assert isinstance(found, Mapping), f"{text}: {part} is not in a mapping"
            found = found.get(part)
        assert found is None or isinstance(found, str | bool), f"{text} is not a value"
        return found


def read_outputs(path: Path) -> dict[str, str]:
    """The outputs a step wrote to its ``GITHUB_OUTPUT`` file."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            else:
                raise AssertionError(f"{name}: no closing {delimiter}")
            outputs[name] = "\n".join(value)
        else:
            name, separator, text = line.partition("=")
            assert separator, f"not an output line: {line!r}"
            outputs[name] = text
    return outputs


@dataclass
class StepRun:
    """What became of one step."""

    id: str | None
    name: str
    ran: bool
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    """The action's steps, its outputs and whether it passed (the exit status of the step
    that failed, else 0)."""

    steps: list[StepRun]
    outputs: dict[str, str]
    returncode: int
    summary: str

    def step(self, step_id: str) -> StepRun:
        """The step with that ``id``, or that ``name`` for a step without one."""
        return next(step for step in self.steps if step_id in (step.id, step.name))


@dataclass
class ActionRunner:
    """Runs the composite action at ``action_path`` in ``workspace`` as a job's step would."""

    action_path: Path
    workspace: Path
    runner_temp: Path
    env: dict[str, str]
    """The job's environment: what every step of the action inherits."""
    uses: dict[str, UsesHandler]
    """Stand-ins for ``uses:`` steps, by the action named (``actions/cache/restore@v4``)."""
    runner: dict[str, str] = field(default_factory=lambda: {"os": "Linux", "arch": "X64"})
    timeout: float = 120

    def run(self, inputs: Mapping[str, str], *, until: str | None = None) -> ActionRun:
        """Run every step (up to and including the step ``until``) with ``inputs``."""
        action = load_action(self.action_path / "action.yml")
        assert action["runs"]["using"] == "composite"
        declared: dict[str, dict[str, Any]] = action.get("inputs", {})
        assert set(inputs) <= set(declared), f"unknown inputs: {set(inputs) - set(declared)}"
        given = {name: inputs.get(name, spec.get("default", "")) for name, spec in declared.items()}
        for name, spec in declared.items():
            assert not spec.get("required") or given[name], f"input {name} is required"
        summary = self.runner_temp / "step_summary.md"
        summary.touch()
        runner = {
            **self.runner,
            "temp": str(self.runner_temp),
        }
        context: dict[str, Any] = {
            "inputs": given,
            "steps": {},
            "runner": runner,
            "github": {"action_path": str(self.action_path), "workspace": str(self.workspace)},
        }
        base_env = {
            **self.env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(self.action_path),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_OS": runner["os"],
            "RUNNER_ARCH": runner["arch"],
            "RUNNER_TEMP": str(self.runner_temp),
            # As the runner names them for an action: upper case, spaces as underscores.
            **{f"INPUT_{name.upper().replace(' ', '_')}": value for name, value in given.items()},
        }
        steps: list[StepRun] = []
        returncode = 0
        for number, spec in enumerate(action["runs"]["steps"]):
            step = StepRun(id=spec.get("id"), name=spec.get("name", spec.get("id", "")), ran=False)
            steps.append(step)
            # With no if:, a step runs while every step before it succeeded.
            wanted = returncode == 0 and condition(spec.get("if", "true"), context)
            if wanted:
                self._run_step(number, spec, step, context, base_env)
                returncode = step.returncode
            if step.id:
                context["steps"][step.id] = {"outputs": step.outputs}
            if until is not None and until in (step.id, step.name):
                break
        outputs = {
            name: render(str(spec["value"]), context)
            for name, spec in action.get("outputs", {}).items()
        }
        return ActionRun(steps, outputs, returncode, summary.read_text(encoding="utf-8"))

    def _run_step(
        self,
        number: int,
        spec: dict[str, Any],
        step: StepRun,
        context: Mapping[str, Any],
        base_env: Mapping[str, str],
    ) -> None:
        step.ran = True
        step.env = {
            name: render(_text(value), context) for name, value in spec.get("env", {}).items()
        }
        if "uses" in spec:
            step.uses = spec["uses"]
            step.with_ = {
                name: render(_text(value), context) for name, value in spec.get("with", {}).items()
            }
            handler = self.uses.get(spec["uses"])
            assert handler is not None, f"nothing stands in for {spec['uses']}"
            step.outputs = handler(step.with_)
            return
        assert spec.get("shell") == "bash", f"step {step.name}: only shell: bash is run here"
        script = render(spec["run"], context)
        script_file = self.runner_temp / f"step-{number}.sh"
        script_file.write_text(script, encoding="utf-8")
        output_file = self.runner_temp / f"step-{number}.output"
        output_file.touch()
        completed = subprocess.run(
            [*BASH, str(script_file)],
            cwd=self.workspace,
            env={**base_env, **step.env, "GITHUB_OUTPUT": str(output_file)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        step.returncode = completed.returncode
        step.stdout = completed.stdout
        step.stderr = completed.stderr
        step.outputs = read_outputs(output_file)


def _text(value: object) -> str:
    """A YAML scalar as the runner reads it: the text written (``false``, not ``False``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without what would change how fetchall or pip runs (its
    ``FETCHALL_*``, ``GITHUB_*``, ``PIP_*``, ``PYTHON*`` and virtual environment), plus
    ``extra``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FETCHALL_", "GITHUB_", "RUNNER_", "INPUT_", "PIP_", "PYTHON"))
        and name not in ("VIRTUAL_ENV", "JOB_COMPLETION_INDEX", "NO_COLOR")
    }
    return {**kept, **extra}
