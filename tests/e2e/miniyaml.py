"""A small loader for the block-style YAML that docker-compose.yml is written in.

The project has no YAML dependency, and the compose test must run on a fresh clone. This reads
block mappings and sequences, plain and quoted scalars, JSON-style flow collections and
literal/folded block scalars — enough for docker-compose.yml, and it refuses what it does not
understand (anchors, tags, multi-document streams) instead of guessing.
"""

from __future__ import annotations

import json
import re
from typing import Any

_KEY = re.compile(
    r"""^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},:][^:#]*?)\s*:(?:\s+|$)(.*)$"""
)
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$")


class YamlSubsetError(ValueError):
    """The text uses YAML this loader does not read."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _strip_comment(text: str) -> str:
    # Only for plain scalars: a comment starts at " #".
    position = text.find(" #")
    return text if position < 0 else text[:position].rstrip()


def _quoted(text: str) -> str:
    if text.startswith('"'):
        end = re.match(r'"(?:[^"\\]|\\.)*"', text)
        if end is None:
            raise YamlSubsetError(f"unterminated string: {text}")
        rest = _strip_comment(" " + text[end.end() :]).strip()
        if rest:
            raise YamlSubsetError(f"text after a string: {text}")
        return str(json.loads(end.group(0)))
    end_single = re.match(r"'(?:[^']|'')*'", text)
    if end_single is None:
        raise YamlSubsetError(f"unterminated string: {text}")
    return end_single.group(0)[1:-1].replace("''", "'")


def scalar(text: str) -> Any:
    """A scalar or JSON-style flow collection, resolved as YAML 1.2's core schema does."""
    text = text.strip()
    if text.startswith(("&", "*", "!")):
        raise YamlSubsetError(f"anchors, aliases and tags are not supported: {text}")
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return json.loads(_strip_comment(text))
    if text.startswith(('"', "'")):
        return _quoted(text)
    plain = _strip_comment(text)
    if plain in ("null", "Null", "NULL", "~", ""):
        return None
    if plain in ("true", "True", "TRUE"):
        return True
    if plain in ("false", "False", "FALSE"):
        return False
    if _INT.match(plain):
        return int(plain)
    if _FLOAT.match(plain):
        return float(plain)
    return plain


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.i = 0

    def _skip(self) -> bool:
        while self.i < len(self.lines):
            stripped = self.lines[self.i].strip()
            if stripped == "---" and self.i == 0:
                self.i += 1
                continue
            if stripped and not stripped.startswith("#"):
                if "\t" in self.lines[self.i][: _indent(self.lines[self.i]) + 1]:
                    raise YamlSubsetError(f"line {self.i + 1}: tabs are not allowed")
                return True
            self.i += 1
        return False

    def document(self) -> Any:
        if not self._skip():
            return None
        value = self.block(_indent(self.lines[self.i]))
        if self._skip():
            raise YamlSubsetError(f"line {self.i + 1}: unexpected text {self.lines[self.i]!r}")
        return value

    def block(self, indent: int) -> Any:
        content = self.lines[self.i].strip()
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while self._skip():
            line = self.lines[self.i]
            current = _indent(line)
            if current < indent:
                break
            if current > indent:
                raise YamlSubsetError(f"line {self.i + 1}: unexpected indentation")
            content = line.strip()
            if content == "-" or content.startswith("- "):
                break
            match = _KEY.match(content)
            if match is None:
                raise YamlSubsetError(f"line {self.i + 1}: expected `key: value`, got {content!r}")
            raw_key, rest = match.group(1), match.group(2)
            key = _quoted(raw_key) if raw_key[0] in "\"'" else raw_key.strip()
            if key in result:
                raise YamlSubsetError(f"line {self.i + 1}: duplicate key {key!r}")
            self.i += 1
            result[key] = self.value(rest, indent)
        return result

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while self._skip():
            line = self.lines[self.i]
            content = line.strip()
            if _indent(line) != indent or not (content == "-" or content.startswith("- ")):
                break
            item = content[1:].lstrip()
            if item and _KEY.match(item) and not item.startswith(("[", "{", '"', "'")):
                # "- key: value": a mapping whose first key sits after the dash.
                inner = indent + (len(content) - len(item))
                self.lines[self.i] = " " * inner + item
                items.append(self.mapping(inner))
            else:
                self.i += 1
                items.append(self.value(item, indent))
        return items

    def value(self, rest: str, indent: int) -> Any:
        rest = rest.strip()
        if rest.split(" #")[0].strip() in ("|", "|-", ">", ">-"):
            return self.block_scalar(rest.split(" #")[0].strip(), indent)
        if rest and not rest.startswith("#"):
            return scalar(rest)
        if not self._skip():
            return None
        following = self.lines[self.i]
        nested = _indent(following)
        if nested > indent:
            return self.block(nested)
        if nested == indent and following.strip().startswith("- "):
            return self.sequence(indent)
        return None

    def block_scalar(self, style: str, indent: int) -> str:
        body: list[str] = []
        block_indent: int | None = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and _indent(line) <= indent:
                break
            if line.strip() and block_indent is None:
                block_indent = _indent(line)
            body.append(line[block_indent:] if block_indent and line.strip() else "")
            self.i += 1
        while body and not body[-1]:
            body.pop()
        if style.startswith(">"):
            text = ""
            for line in body:
                if not line:
                    text += "\n"
                elif text and not text.endswith("\n"):
                    text += " " + line
                else:
                    text += line
        else:
            text = "\n".join(body)
        return text if style.endswith("-") else text + "\n"


def load(text: str) -> Any:
    """Parse one YAML document written in the supported block style."""
    return _Parser(text).document()
