"""Where a YAML fault is in a questionnaire file, in the file's own lines and columns: a position
read after tabs in the indentation were widened to spaces is mapped back (`Columns`), and a
syntax error or a character YAML does not allow becomes a `DefinitionError` there
(app.definitions.loader reads the file)."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from app.definitions import errors as E
from app.definitions.errors import DefinitionError


@dataclass(frozen=True)
class Position:
    line: int
    column: int


def is_tab(exc: yaml.MarkedYAMLError) -> bool:
    return "'\\t'" in (exc.problem or "")


def syntax_error(exc: yaml.MarkedYAMLError, filename: str, columns: Columns) -> DefinitionError:
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    if "end of stream" in problem and exc.context_mark:
        # An unclosed quote or bracket is found at the end; where it opens is what to fix.
        mark = exc.context_mark
    spot = columns.position(mark) if mark else Position(1, 1)
    message = problem
    if exc.context:
        started = exc.context_mark
        where = ""
        if started and started is not mark:
            opened = columns.position(started)
            where = f" (from line {opened.line}, column {opened.column})"
        message = f"{exc.context}{where}: {problem}"
    if is_tab(exc):
        hint = "indent with spaces; YAML does not allow tabs"
    else:
        hint = "the file cannot be read past this point, so nothing else in it was checked"
    return DefinitionError(E.YAML_SYNTAX, filename, spot.line, spot.column, "", message, hint)


def reader_error(
    exc: yaml.reader.ReaderError, text: str, filename: str, columns: Columns
) -> DefinitionError:
    """A character YAML does not allow (a control character), placed by its index in `text`."""
    at = max(0, min(exc.position, len(text)))
    line = text.count("\n", 0, at)
    column = at - (text.rfind("\n", 0, at) + 1)
    spot = columns.position(yaml.Mark("", at, line, column, None, None))  # type: ignore[arg-type]  # PyYAML's stub is wrong: buffer may be None
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return DefinitionError(
        E.YAML_SYNTAX, filename, spot.line, spot.column, "",
        f"the character U+{ord(character):04X} is not allowed in a YAML file",
        "remove it; the file cannot be read, so nothing else in it was checked",
    )


class Columns:
    """Maps places in the text that was read back to the file, after tabs were widened."""

    def __init__(self, text: str = "", widened: dict[int, tuple[int, int, int]] | None = None):
        self.text = text
        # line -> (columns of indentation after widening, columns added, column of the first tab)
        self.widened = widened or {}

    @classmethod
    def expanding_tabs(cls, text: str, width: int) -> Columns:
        lines = text.split("\n")
        widened: dict[int, tuple[int, int, int]] = {}
        for index, line in enumerate(lines):
            body = line.lstrip(" \t")
            indent = line[: len(line) - len(body)]
            if "\t" in indent:
                wide = indent.expandtabs(width)
                widened[index + 1] = (len(wide), len(wide) - len(indent), indent.index("\t") + 1)
                lines[index] = wide + body
        return cls("\n".join(lines), widened)

    def position(self, mark: yaml.Mark) -> Position:
        line, column = mark.line + 1, mark.column + 1
        if line in self.widened:
            indent, added, _ = self.widened[line]
            column = column - added if column > indent else min(column, indent - added + 1)
        return Position(line, max(column, 1))

    def tab_errors(self, filename: str, width: int) -> list[DefinitionError]:
        """One error at the first tab, naming every line indented with tabs."""
        if not self.widened:
            return []
        first = min(self.widened)
        lines = _ranges(sorted(self.widened))
        where = f"on line {lines}" if len(self.widened) == 1 else f"on lines {lines}"
        return [DefinitionError(
            E.YAML_SYNTAX, filename, first, self.widened[first][2], "",
            f"tabs in the indentation {where}; YAML indents with spaces only",
            f"indent with spaces; the rest of the file was checked reading each tab as "
            f"{width} spaces",
        )]


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
