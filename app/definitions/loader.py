"""Read a questionnaire YAML file safely into plain data, remembering where every value stands.

Only PyYAML's safe loader is used, with a composer of our own so that reading is bounded and
every fault is reported together with the schema errors of the same file:

- a file larger than `MAX_BYTES` is not read, and one nested deeper than `MAX_DEPTH` is not read
  past that depth (the cost of reading stays linear, and no recursion limit is ever reached);
- anchors, aliases and explicit tags are legal YAML that a questionnaire has no use for: each is
  an error, but the document is still read (an alias stands for nothing, a tagged value is read
  as if untagged) so that the rest of the file is checked too;
- duplicate mapping keys are errors (PyYAML would keep one silently); the first one is read;
- a whole number beyond 64 bits is an error and stands for nothing; one written with more than
  `MAX_INTEGER_CHARACTERS` characters is not even computed (PyYAML builds `1:1:1:...`, a YAML
  1.1 base-60 number, by repeated multiplication, which costs time growing with the square of
  its length);
- a tab in the indentation makes the file invalid YAML; the file is read once more with each
  tab widened to spaces, and when that succeeds the rest of the file is checked too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, MappingStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.definitions import errors as E
from app.definitions.errors import DefinitionError
from app.definitions.yaml_places import Columns, Position, is_tab, reader_error, syntax_error

MAX_BYTES = 1024 * 1024
# A real questionnaire nests fewer than 15 lists and mappings (a label inside an option inside a
# question inside a section is 8); deeper files are refused before they cost anything.
MAX_DEPTH = 50
# The largest whole number a questionnaire may hold (a 64-bit integer, as a database stores it);
# Python cannot even print one of more than 4,300 digits.
MAX_INTEGER = 2**63 - 1
# The longest way to write a whole number up to MAX_INTEGER: '-0b' and 63 binary digits.
MAX_INTEGER_CHARACTERS = 66
# Tried in turn when tabs in the indentation make a file unreadable: a tab read as 4, 8, 2 spaces.
TAB_WIDTHS = (4, 8, 2)

PathPart = str | int


@dataclass
class Document:
    """The plain data of a file and the position of each value (and each mapping key) by path.

    `unread` holds the paths whose value is not what the file says (an alias, a tagged value, a
    number too large): the error there is the fault, so other errors at or inside them are not
    reported.
    """

    data: object
    values: dict[str, Position] = field(default_factory=dict)
    keys: dict[str, Position] = field(default_factory=dict)
    unread: set[str] = field(default_factory=set)

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

    def is_unread(self, path: str) -> bool:
        """Whether `path` is at or inside a value that was not read as written.

        The path and its enclosing paths are looked up: the cost grows with the nesting (at most
        MAX_DEPTH), not with the number of unread places (a file can hold 100,000 aliases).
        """
        if not self.unread:
            return False
        while path:
            if path in self.unread:
                return True
            path = parent_path(path)
        return False


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
        return _read(text, filename, Columns())
    except _Unreadable as unreadable:
        if not unreadable.tab:
            return None, [unreadable.error]
        for width in TAB_WIDTHS:
            columns = Columns.expanding_tabs(text, width)
            if not columns.widened:  # the tab is not in the indentation
                break
            try:
                document, errors = _read(columns.text, filename, columns)
            except _Unreadable:
                continue
            return document, columns.tab_errors(filename, width) + errors
        return None, [unreadable.error]


class _Unreadable(Exception):
    """The file cannot be read as YAML (or not within the limits): `error` says where and why."""

    def __init__(self, error: DefinitionError, tab: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.tab = tab


def _read(text: str, filename: str, columns: Columns) -> tuple[Document, list[DefinitionError]]:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise _Unreadable(reader_error(exc, text, filename, columns)) from None
    try:
        root = loader.get_single_node()
        builder = _Builder(loader, filename, columns)
        document = Document(data=None)
        if root is not None:
            document.data = builder.build(root, (), document)
        builder.report_faults_not_reached()
    except _TooDeep as exc:
        spot = columns.position(exc.mark)
        raise _Unreadable(DefinitionError(
            E.TOO_DEEP, filename, spot.line, spot.column, "",
            f"lists and mappings are nested more than {MAX_DEPTH} levels deep here; "
            "the file is not read further",
            "a questionnaire needs fewer than 15 levels; look for an opening bracket that is "
            "never closed, or indentation that keeps growing",
        )) from None
    except yaml.MarkedYAMLError as exc:
        raise _Unreadable(syntax_error(exc, filename, columns), tab=is_tab(exc)) from None
    except yaml.YAMLError as exc:
        raise _Unreadable(DefinitionError(
            E.YAML_SYNTAX, filename, 1, 1, "", f"the file cannot be read as YAML: {exc}"
        )) from None
    finally:
        loader.dispose()
    # Duplicate and non-text field names, anchors, aliases and tags are reported; the rest of
    # the file is still checked.
    return document, builder.errors


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__("too deep")
        self.mark = mark


@dataclass
class _Fault:
    """An anchor, alias or tag found on `node`; reported once the node's path is known."""

    node: Node
    what: str
    hint: str
    mark: yaml.Mark
    reported: bool = False


class _Loader(yaml.SafeLoader):
    """The safe loader with a composer that bounds nesting and reads past anchors, aliases and
    tags: an alias becomes an empty value (never a copy, so nothing can multiply), an anchor is
    not remembered, and a tagged scalar is resolved as if it had no tag."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.faults: dict[int, list[_Fault]] = {}

    def fetch_flow_collection_start(self, TokenClass: type) -> None:  # noqa: N803
        # Brackets are counted as they are scanned, ahead of composing: an opening '[' or '{'
        # keeps PyYAML's scanner looking ahead for a key at every open level, which grows with
        # the depth. The open block collections (one indentation each) count as well.
        if len(self.indents) + self.flow_level + 1 > MAX_DEPTH:
            raise _TooDeep(self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def _fault(self, node: Node, what: str, hint: str, mark: yaml.Mark) -> None:
        self.faults.setdefault(id(node), []).append(_Fault(node, what, hint, mark))

    def compose_node(self, parent: Node | None, index: object) -> Node:
        if self.check_event(AliasEvent):
            alias = self.get_event()
            node: Node = ScalarNode("tag:yaml.org,2002:null", "", alias.start_mark, alias.end_mark)
            self._fault(node, f"alias '*{alias.anchor}'", "write the repeated part out in full",
                        alias.start_mark)
            return node
        event = self.peek_event()
        nested = isinstance(event, CollectionStartEvent)
        if nested:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _TooDeep(event.start_mark)
        self.descend_resolver(parent, index)
        if isinstance(event, ScalarEvent):
            node = self.compose_scalar_node(None)  # type: ignore[arg-type]  # PyYAML's stub is wrong: anchor is str | None
            if event.tag is not None:
                plain = event.style is None
                node.tag = self.resolve(ScalarNode, event.value, (plain, not plain))
        elif isinstance(event, MappingStartEvent):
            node = self.compose_mapping_node(None)  # type: ignore[arg-type]  # PyYAML's stub is wrong: anchor is str | None
        else:
            node = self.compose_sequence_node(None)  # type: ignore[arg-type]  # PyYAML's stub is wrong: anchor is str | None
        self.ascend_resolver()
        if nested:
            self.depth -= 1
        if event.anchor is not None:
            self._fault(node, f"anchor '&{event.anchor}'", "write the repeated part out in full",
                        event.start_mark)
        if event.tag is not None:
            self._fault(node, f"tag '{_short_tag(event.tag)}'",
                        "remove the tag; quote the value if it must be text", event.start_mark)
        return node


def _short_tag(tag: str) -> str:
    """A tag as it is written: 'tag:yaml.org,2002:python/object' -> '!!python/object'."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


_INT_TAG = "tag:yaml.org,2002:int"
# What `_Builder.scalar` gives for a whole number too large to be read.
_TOO_LARGE = object()


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, recording positions and faults."""

    def __init__(self, loader: _Loader, filename: str, columns: Columns) -> None:
        self.loader = loader
        self.filename = filename
        self.columns = columns
        self.errors: list[DefinitionError] = []

    def build(self, node: Node, path: tuple[PathPart, ...], document: Document) -> object:
        document.values[join_path(path)] = self.position(node)
        # An alias (read as nothing) or a tagged scalar is not what the file says: the fault is
        # the error there, so errors at or inside that place are not reported as well.
        if self.report_faults(node, path) and isinstance(node, ScalarNode) and path:
            document.unread.add(join_path(path))
        if isinstance(node, MappingNode):
            return self._mapping(node, path, document)
        if isinstance(node, SequenceNode):
            return [
                self.build(item, (*path, index), document) for index, item in enumerate(node.value)
            ]
        assert isinstance(node, ScalarNode)
        value = self.scalar(node)
        if value is _TOO_LARGE:
            # Reported here, and read as nothing: no second error says it is not a number.
            self._too_large(node, path)
            if path:
                document.unread.add(join_path(path))
            return None
        return value

    def scalar(self, node: ScalarNode) -> object:
        """The value of `node`; `_TOO_LARGE` for a whole number beyond MAX_INTEGER."""
        if node.tag == _INT_TAG and len(node.value.replace("_", "")) > MAX_INTEGER_CHARACTERS:
            return _TOO_LARGE  # not computed: see the module's docstring
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError):
            # A plain value that looks like a date or time but is none (2026-13-45): its text.
            return node.value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            return _TOO_LARGE
        return value

    def _too_large(self, node: ScalarNode, path: tuple[PathPart, ...]) -> None:
        text = node.value
        shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"
        self._error(E.INVALID_VALUE, self.position(node), path,
                    f"the number {shown} is too large; a whole number in a questionnaire lies "
                    f"between -{MAX_INTEGER} and {MAX_INTEGER}",
                    "write it in quotes if it is meant as text")

    def _mapping(
        self, node: MappingNode, path: tuple[PathPart, ...], document: Document
    ) -> dict[str, object]:
        result: dict[str, object] = {}
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            where = self.position(key_node)
            key = self.scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if key is _TOO_LARGE:
                self._too_large(key_node, path)
                continue
            faulty = self.report_faults(key_node, path if key is None else (*path, str(key)))
            if not isinstance(key, str):
                if not faulty:  # an alias as a field name is reported as the alias
                    self._error(E.WRONG_TYPE, where, path,
                                f"a field name must be text, found {key_node.value!r}"
                                if isinstance(key_node, ScalarNode)
                                else "a field name must be text, found a list or mapping",
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

    def report_faults(self, node: Node, path: tuple[PathPart, ...]) -> bool:
        """Report the anchors, aliases and tags on `node`; whether there were any."""
        faults = self.loader.faults.get(id(node), [])
        for fault in faults:
            self._fault(fault, join_path(path))
        return bool(faults)

    def report_faults_not_reached(self) -> None:
        """Faults in parts that were not read (a duplicate key's value, a non-text key)."""
        for faults in self.loader.faults.values():
            for fault in faults:
                if not fault.reported:
                    self._fault(fault, "")

    def _fault(self, fault: _Fault, path: str) -> None:
        fault.reported = True
        spot = self.columns.position(fault.mark)
        self.errors.append(DefinitionError(
            E.UNSUPPORTED_YAML, self.filename, spot.line, spot.column, path,
            f"{fault.what} found; questionnaires use plain values, lists and mappings only",
            fault.hint,
        ))

    def _error(self, code: str, where: Position, path: tuple[PathPart, ...], message: str,
               hint: str | None = None) -> None:
        self.errors.append(DefinitionError(
            code, self.filename, where.line, where.column, join_path(path), message, hint
        ))

    def position(self, node: Node) -> Position:
        return self.columns.position(node.start_mark)
