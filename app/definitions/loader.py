"""Read a questionnaire YAML file safely into plain data, remembering where every value stands.

Only PyYAML's safe loader is used. Duplicate mapping keys, anchors, aliases and tags are
errors (PyYAML accepts the first silently), and so is a file larger than `MAX_BYTES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.definitions import errors as E
from app.definitions.errors import DefinitionError

MAX_BYTES = 1024 * 1024

PathPart = str | int


@dataclass(frozen=True)
class Position:
    line: int
    column: int


@dataclass
class Document:
    """The plain data of a file and the position of each value (and each mapping key) by path."""

    data: object
    values: dict[str, Position] = field(default_factory=dict)
    keys: dict[str, Position] = field(default_factory=dict)

    def value_position(self, path: str) -> Position:
        """Where the value at `path` starts, or its nearest enclosing value that has a place."""
        while True:
            if path in self.values:
                return self.values[path]
            if not path:
                return Position(1, 1)
            path = parent_path(path)

    def key_position(self, path: str) -> Position:
        """Where the field name of `path` is written; the value's place when there is no name."""
        return self.keys.get(path) or self.value_position(path)


def join_path(parts: tuple[PathPart, ...] | list[PathPart]) -> str:
    """('sections', 2, 'questions', 4) -> 'sections[2].questions[4]'."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def parent_path(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def size_error(size: int, filename: str) -> DefinitionError | None:
    if size <= MAX_BYTES:
        return None
    return DefinitionError(
        E.FILE_TOO_LARGE, filename, 1, 1, "",
        f"the file is {size} bytes; a questionnaire may be at most {MAX_BYTES} bytes (1 MiB)",
    )


def decode(raw: bytes, filename: str) -> tuple[str | None, DefinitionError | None]:
    """UTF-8 text of `raw` (a byte-order mark is allowed), or an error at the first bad byte."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, DefinitionError(
            E.UNREADABLE_FILE, filename, line, column, "",
            f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8",
        )


def load_document(text: str, filename: str) -> tuple[Document | None, list[DefinitionError]]:
    """Parse `text` into a document and its errors; None when the errors prevent reading it."""
    too_large = size_error(len(text.encode("utf-8")), filename)
    if too_large:
        return None, [too_large]
    try:
        problems = _unsupported_features(text, filename)
        if problems:
            return None, problems
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            builder = _Builder(loader, filename)
            document = Document(data=None)
            if root is not None:
                document.data = builder.build(root, (), document)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_error(exc, filename)]
    except yaml.YAMLError as exc:
        return None, [DefinitionError(E.YAML_SYNTAX, filename, 1, 1, "", str(exc))]
    # Duplicate and non-text field names are reported; the rest of the file is still checked.
    return document, builder.errors


def _syntax_error(exc: yaml.MarkedYAMLError, filename: str) -> DefinitionError:
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark:
        # An unclosed quote or bracket is found at the end; where it opens is what to fix.
        mark = exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = problem
    if exc.context:
        started = exc.context_mark
        where = (f" (from line {started.line + 1}, column {started.column + 1})"
                 if started and started is not mark else "")
        message = f"{exc.context}{where}: {problem}"
    hint = "indent with spaces; YAML does not allow tabs" if "\\t" in problem else None
    return DefinitionError(E.YAML_SYNTAX, filename, line, column, "", message, hint)


def _unsupported_features(text: str, filename: str) -> list[DefinitionError]:
    """Anchors, aliases and explicit tags: legal YAML that a questionnaire has no use for."""
    found: list[DefinitionError] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if not isinstance(event, (ScalarEvent, CollectionStartEvent, AliasEvent)):
            continue
        mark = event.start_mark
        hint: str | None = "write the repeated part out in full"
        if isinstance(event, AliasEvent):
            what = f"alias '*{event.anchor}'"
        elif event.anchor is not None:
            what = f"anchor '&{event.anchor}'"
        elif event.tag is not None:
            what, hint = f"tag '{event.tag}'", "remove the tag; quote the value if it must be text"
        else:
            continue
        found.append(DefinitionError(
            E.UNSUPPORTED_YAML, filename, mark.line + 1, mark.column + 1, "",
            f"{what} found; questionnaires use plain values, lists and mappings only", hint,
        ))
    return found


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, recording positions and duplicates."""

    def __init__(self, loader: yaml.SafeLoader, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.errors: list[DefinitionError] = []

    def build(self, node: Node, path: tuple[PathPart, ...], document: Document) -> object:
        document.values[join_path(path)] = _position(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path, document)
        if isinstance(node, SequenceNode):
            return [
                self.build(item, (*path, index), document) for index, item in enumerate(node.value)
            ]
        assert isinstance(node, ScalarNode)
        return self.loader.construct_object(node, deep=True)

    def _mapping(
        self, node: MappingNode, path: tuple[PathPart, ...], document: Document
    ) -> dict[str, object]:
        result: dict[str, object] = {}
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            where = _position(key_node)
            key = self.loader.construct_object(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self._error(E.WRONG_TYPE, where, path,
                            f"a field name must be text, found {key_node.value!r}",
                            "write the name in quotes" if key is not None else None)
                continue
            if key in first_seen:
                self._error(E.DUPLICATE_MAPPING_KEY, where, (*path, key),
                            f"field '{key}' is written twice in this mapping "
                            f"(first on line {first_seen[key].line})",
                            "remove one of them; YAML would silently keep only one")
                continue
            first_seen[key] = where
            document.keys[join_path((*path, key))] = where
            result[key] = self.build(value_node, (*path, key), document)
        return result

    def _error(self, code: str, where: Position, path: tuple[PathPart, ...], message: str,
               hint: str | None = None) -> None:
        self.errors.append(DefinitionError(
            code, self.filename, where.line, where.column, join_path(path), message, hint
        ))


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)
