"""The release audit's machinery: read every survey figure a round's outputs publish (through the
same URLs and CLI commands users use), write each as a linear equation over the true counts per
unit, and test with exact arithmetic whether a hidden small cell is determined by them.

This is how statistical offices audit a suppression (tau-ARGUS, sdcTable): the attacker knows
the unit tree, who was invited (a unit not invited has no respondents), the questionnaire, and
every published figure; each figure is a sum over units' own counts. A hidden cell is safe when
its indicator vector is not in the row space of the published equations.

Parsing of pages lives here, in one place, and reads only stable structure: tables (their header
texts, `th`/`td` cells), the `result-question` sections with their chart tables, and fixed
sentences. Every equation is checked against the true counts before the rank test, so a misread
figure fails the audit loudly instead of hiding a leak.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from html.parser import HTMLParser
from itertools import combinations

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.definitions.schema import (
    Definition,
    MatrixQuestion,
    MultipleChoiceQuestion,
    Question,
    RatingQuestion,
    SingleChoiceQuestion,
    StaffView,
)
from app.extensions import db
from app.models import Round, RoundUnit, Unit
from app.models.survey import SurveyAnswer, SurveyResponse

# --- a small DOM over html.parser ------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    if child.tag == "br":
                        parts.append(" ")
                    walk(child)

        walk(self)
        return " ".join("".join(parts).split())

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        found: list[Node] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, Node):
                    if child.tag == tag and (cls is None or cls in child.classes()):
                        found.append(child)
                    walk(child)

        walk(self)
        return found

    def first(self, tag: str, cls: str | None = None) -> Node | None:
        found = self.find_all(tag, cls)
        return found[0] if found else None


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    return builder.root


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    caption: str
    rows: tuple[tuple[Node, ...], ...]  # each row's cells (th and td), in order


def tables(node: Node) -> list[Table]:
    found = []
    for table in node.find_all("table"):
        head = table.first("thead")
        header = tuple(th.text() for th in head.find_all("th")) if head else ()
        caption = table.first("caption")
        body = table.first("tbody") or table
        rows = tuple(tuple(c for c in tr.children if isinstance(c, Node) and c.tag in ("th", "td"))
                     for tr in body.find_all("tr") if tr.first("td") is not None)
        found.append(Table(header, caption.text() if caption else "", rows))
    return found


# --- what the attacker knows: the tree, the invitations, the questionnaires --------------------

# A published figure measures one of: respondents ("n",), those who answered a question row
# ("base", question, row), or those who chose any of some options ("count", question, row, options).
Measure = tuple


@dataclass(frozen=True)
class Figure:
    door: str  # the output that printed it
    where: str  # the cell as the output names it
    units: frozenset[str]  # invited units whose own respondents the cell sums
    measure: Measure
    value: int


@dataclass
class City:
    round_key: str
    threshold: int
    parent: dict[str, str | None]
    names: dict[str, str]
    invited: frozenset[str]
    survey: Definition
    ratings: list[RatingQuestion]  # the self-assessment's rating statements, numbered from 1
    n: dict[str, int]  # true respondents per invited unit
    base: dict[tuple[str, str, str], int]  # (question, row, unit)
    count: dict[tuple[str, str, str, str], int]  # (question, row, option, unit)
    pooled: set[str] = field(default_factory=set)  # units the admin's results count in a pool

    # cells by how outputs name them

    def own(self, unit: str) -> frozenset[str]:
        return frozenset({unit}) & self.invited

    def subtree(self, unit: str) -> frozenset[str]:
        return frozenset(u for u in self.invited if unit in self.ancestors_and_self(u))

    def ancestors_and_self(self, unit: str) -> list[str]:
        chain = [unit]
        while self.parent.get(chain[-1]) is not None:
            chain.append(self.parent[chain[-1]])  # type: ignore[arg-type]
        return chain

    def total(self) -> frozenset[str]:
        return self.invited

    def pool(self, parent: str | None) -> frozenset[str]:
        """'Övriga enheter inom P': the units directly under P that the admin's results list as
        counted there, else the invited leaf units below the threshold directly under P."""
        listed = frozenset(u for u in self.pooled if self.parent.get(u) == parent)
        if listed:
            return listed
        children = {u for u, p in self.parent.items() if p is not None}
        leaves = set(self.parent) - {self.parent[u] for u in children}  # type: ignore[misc]
        return frozenset(u for u in self.invited if self.parent.get(u) == parent and u in leaves
                         and self.n.get(u, 0) < self.threshold)

    def unit_by_name(self, name: str) -> str:
        matches = [key for key, value in self.names.items() if value == name]
        if len(matches) != 1:
            raise AuditError(f"cannot tell which unit is named {name!r}")
        return matches[0]

    def cell_by_label(self, label: str) -> tuple[str, frozenset[str]]:
        """A cell from how the pages label it: a unit, a unit with the units below it, a pool,
        the total."""
        if label in ("Totalt", "Hela staden"):
            return "total", self.total()
        if label == "Övriga enheter":
            return "pool:", self.pool(None)
        if label.startswith("Övriga enheter inom "):
            parent = self.unit_by_name(label.removeprefix("Övriga enheter inom "))
            return f"pool:{parent}", self.pool(parent)
        for suffix in (", med underliggande enheter", " med underliggande enheter"):
            if label.endswith(suffix):
                unit = self.unit_by_name(label.removesuffix(suffix))
                return f"subtree:{unit}", self.subtree(unit)
        unit = self.unit_by_name(label)
        return unit, self.own(unit)

    # the questionnaire

    def counted(self) -> list[Question]:
        return [q for q in self.survey.questions()
                if isinstance(q, (SingleChoiceQuestion, MultipleChoiceQuestion, MatrixQuestion))]

    def question_by_text(self, text: str) -> Question:
        matches = [q for q in self.counted() if q.text.get("sv") == text]
        if len(matches) != 1:
            raise AuditError(f"cannot tell which question reads {text!r}")
        return matches[0]

    def rows_of(self, question: Question) -> list[str]:
        return [row.key for row in question.rows] if isinstance(question, MatrixQuestion) else [""]

    def row_by_label(self, question: Question, label: str) -> str:
        if not isinstance(question, MatrixQuestion):
            return ""
        for row in question.rows:
            if row.label.get("sv") == label:
                return row.key
        raise AuditError(f"question {question.key} has no row {label!r}")

    def option_by_label(self, question: Question, label: str) -> str:
        matches = [o.value for o in self.survey.options_of(question) if o.label.get("sv") == label]
        if len(matches) != 1:
            raise AuditError(f"question {question.key} has no single option {label!r}")
        return matches[0]

    def options(self, question_key: str) -> list[str]:
        return [o.value for o in self.survey.options_of(self.survey.question(question_key))]


class AuditError(AssertionError):
    """An output could not be read as the audit expects (or printed a wrong figure)."""


def load_city(app: Flask, round_key: str) -> City:
    """The attacker's knowledge (tree, invitations, questionnaires) and the auditor's truth (the
    stored answers), read from the database."""
    with app.app_context():
        session = db.session
        round_ = session.scalar(select(Round).where(Round.key == round_key))
        assert round_ is not None
        units = session.execute(select(Unit.id, Unit.key, Unit.name, Unit.parent_id)).all()
        key_of = {uid: key for uid, key, _n, _p in units}
        parent = {key: key_of.get(pid) if pid is not None else None for _u, key, _n, pid in units}
        names = {key: name for _u, key, name, _p in units}
        invited = frozenset(key_of[uid] for uid in session.scalars(
            select(RoundUnit.unit_id).where(RoundUnit.round_id == round_.id)))
        survey = round_.version_of_kind("survey").parsed()  # type: ignore[union-attr]
        main = round_.version_of_kind("unit_questionnaire")
        ratings = [q for q in main.parsed().questions() if isinstance(q, RatingQuestion)] if main else []
        n = {key: 0 for key in invited}
        for uid, count in session.execute(select(SurveyResponse.unit_id, func.count())
                                          .where(SurveyResponse.round_id == round_.id)
                                          .group_by(SurveyResponse.unit_id)):
            n[key_of[uid]] = int(count)
        answers = (select(SurveyResponse.unit_id, SurveyAnswer.question_key, SurveyAnswer.row_key)
                   .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
                   .where(SurveyResponse.round_id == round_.id))
        base: dict[tuple[str, str, str], int] = defaultdict(int)
        for uid, question, row, count in session.execute(
                answers.add_columns(func.count(func.distinct(SurveyAnswer.response_id)))
                .group_by(SurveyResponse.unit_id, SurveyAnswer.question_key, SurveyAnswer.row_key)):
            base[(question, row, key_of[uid])] = int(count)
        counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
        for uid, question, row, value, count in session.execute(
                answers.add_columns(SurveyAnswer.value, func.count())
                .group_by(SurveyResponse.unit_id, SurveyAnswer.question_key, SurveyAnswer.row_key,
                          SurveyAnswer.value)):
            counts[(question, row, value, key_of[uid])] = int(count)
        return City(round_key, round_.anonymity_threshold, parent, names, invited, survey, ratings,
                    n, base, counts)


# --- percentages that determine a count ------------------------------------------------------


def count_from_percent(percent: float, base: int, decimals: int) -> int | None:
    """The one count c of `base` whose share rounds to `percent`, or None when several do (a
    rounded share of a large base is an interval, not an equation)."""
    if base <= 0:
        return None
    tolerance = 0.5 * 10 ** -decimals + 1e-9
    fits = [c for c in range(base + 1) if abs(100 * c / base - percent) <= tolerance]
    return fits[0] if len(fits) == 1 else None


def _number(text: str) -> float:
    return float(text.replace("\u00a0", " ").replace("%", "").replace(",", ".").strip())


# --- the doors ----------------------------------------------------------------------------------


class Reader:
    """Collects figures from every output of one round, as an admin reads them."""

    def __init__(self, city: City, client: FlaskClient, app: Flask) -> None:
        self.city = city
        self.client = client
        self.app = app
        self.figures: list[Figure] = []
        self.visited: list[str] = []

    def add(self, door: str, where: str, units: frozenset[str], measure: Measure, value: int) -> None:
        self.figures.append(Figure(door, where, units, measure, value))

    def get(self, url: str) -> str:
        response = self.client.get(url)
        if response.status_code != 200:
            raise AuditError(f"{url} answered {response.status_code}")
        self.visited.append(url)
        return response.get_data(as_text=True)

    def read_all(self) -> list[Figure]:
        key = self.city.round_key
        self.admin_results(f"/admin/enkat/{key}/resultat")
        self.admin_results_files(f"/admin/enkat/{key}/resultat")
        self.response_rates(f"/admin/enkat/{key}", "admin-response-rates")
        for fmt in ("json", "csv", "xlsx"):
            url = f"/lagesbild/{key}/export/survey.{fmt}"
            response = self.client.get(url)
            if response.status_code != 200:
                raise AuditError(f"{url} answered {response.status_code}")
            self.bi_export(f"city-export-{fmt}", _bi_rows(response.data, fmt))
        result = self.app.test_cli_runner().invoke(args=["export", key, "--what", "survey", "--format", "json"])
        if result.exit_code != 0:
            raise AuditError(f"lagesbild export: {result.output}")
        self.bi_export("cli-export", _bi_rows(result.stdout_bytes, "json"))
        self.city_page(f"/lagesbild/{key}/enkat", "city-survey-page")
        self.city_page(f"/lagesbild/{key}/rapport", "city-report-page")
        for unit in sorted(self.city.invited):  # a unit not invited has no report on the round
            self.unit_report(unit, f"/rapporter/{key}/enheter/{unit}")
            self.unit_report_pdf(unit, f"/rapporter/{key}/enheter/{unit}.pdf")
        self.results_pdf(f"/admin/enkat/{key}/resultat.pdf")
        return self.figures

    # figures as the result macros print them: a section per question, a chart table per row

    def question_sections(self, door: str, node: Node, where: str, units: frozenset[str]) -> None:
        city = self.city
        for section in node.find_all("section", "result-question"):
            heading = next((h for h in section.children if isinstance(h, Node) and re.fullmatch(r"h\d", h.tag)),
                           None)
            if heading is None:
                raise AuditError(f"{door}: a result section without a heading")
            question = city.question_by_text(heading.text())
            for figure in section.find_all("figure", "chart"):
                caption = figure.first("figcaption")
                caption_text = caption.text() if caption else ""
                found = re.fullmatch(r"Andel av de svarande, n = (\d+)", caption_text)
                row = "" if found else city.row_by_label(question, caption_text)
                base = int(found.group(1)) if found else None
                if base is not None:
                    self.add(door, where, units, ("base", question.key, row), base)
                table = figure.first("table", "chart-table")
                if table is None:
                    raise AuditError(f"{door}: a chart without its table")
                header = tables(figure)[0].header
                for cells in tables(figure)[0].rows:
                    option = city.option_by_label(question, cells[0].text())
                    values = dict(zip(header[1:], (c.text() for c in cells[1:]), strict=False))
                    if values.get("Antal", "").isdigit():
                        self.add(door, where, units, ("count", question.key, row, (option,)), int(values["Antal"]))
                    elif base is not None and "Andel" in values:
                        count = count_from_percent(_number(values["Andel"]), base, 0)
                        if count is not None:
                            self.add(door, where, units, ("count", question.key, row, (option,)), count)

    def gap_share(self, door: str, where: str, units: frozenset[str], statement: str, share: str) -> None:
        """'72 % (n = 18)' beside statement 'N. …': the favourable answers of the unit's staff."""
        number = re.match(r"(\d+)\.", statement)
        found = re.fullmatch(r"([\d,]+) % \(n = (\d+)\)", share)
        if number is None or found is None:
            return  # "För få svar för att visa": nothing published
        view = self.city.ratings[int(number.group(1)) - 1].staff_view
        assert isinstance(view, StaffView)
        row = view.row or ""
        base = int(found.group(2))
        self.add(door, where, units, ("base", view.question, row), base)
        percent = found.group(1)
        count = count_from_percent(_number(percent), base, len(percent.partition(",")[2]))
        if count is not None:
            self.add(door, where, units, ("count", view.question, row, tuple(sorted(view.favourable))), count)

    # the admin's results pages and files: each unit's own figures, pools, the total

    def admin_results(self, url: str) -> None:
        door = "admin-results-page"
        page = parse_html(self.get(url))
        listing = next(t for t in tables(page) if t.header[:2] == ("Grupp", "Antal svarande"))
        refs: list[tuple[str, str]] = []
        for cells in listing.rows:
            label, shown = cells[0].text(), cells[1].text()
            if "Övriga enheter" in shown:
                self.city.pooled.add(self.city.cell_by_label(label)[0])
        for cells in listing.rows:
            label, shown = cells[0].text(), cells[1].text()
            if shown.isdigit():
                where, units = self.city.cell_by_label(label)
                self.add(door, where, units, ("n",), int(shown))
                link = cells[0].first("a")
                if link is not None:
                    refs.append((label, link.attrs["href"]))
        for label, href in refs:
            where, units = self.city.cell_by_label(label)
            cell_page = parse_html(self.get(href))
            found = re.search(r"Antal svarande: (\d+)", cell_page.text())
            if found:
                self.add(door, where, units, ("n",), int(found.group(1)))
            self.question_sections(door, cell_page, where, units)
            self.split_tables(door, cell_page, where, units)

    def admin_results_files(self, url: str) -> None:
        csv_rows = list(_csv_rows(self.get(url + ".csv")))
        self._admin_rows("admin-results-csv", csv_rows)
        response = self.client.get(url + ".xlsx")
        if response.status_code != 200:
            raise AuditError(f"{url}.xlsx answered {response.status_code}")
        sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
        self._admin_rows("admin-results-xlsx", [["" if v is None else str(v) for v in row]
                                                for row in sheet.iter_rows(values_only=True)])

    def _admin_rows(self, door: str, rows: list[list[str]]) -> None:
        header = rows[0]
        for raw in rows[1:]:
            row = dict(zip(header, raw, strict=True))
            where, units = self.city.cell_by_label(row["enhet"])
            self.add(door, where, units, ("n",), int(float(row["antal_svarande"])))
            question = self.city.survey.question(row["fraga"])
            matrix_row = self.city.row_by_label(question, row["rad"])
            option = self.city.option_by_label(question, row["svarsalternativ"])
            self.add(door, where, units, ("count", question.key, matrix_row, (option,)), int(float(row["antal"])))

    # response rates: completed per invited unit and in total

    def response_rates(self, url: str, door: str) -> None:
        page = parse_html(self.get(url))
        self._rate_tables(door, page)

    def _rate_tables(self, door: str, page: Node) -> None:
        for table in tables(page):
            if table.header[:1] != ("Enhet",) or "Inbjudna" not in table.header:
                continue
            column = next(i for i, h in enumerate(table.header) if h in ("Fullständiga svar", "Svar"))
            for cells in table.rows:
                where, units = self.city.cell_by_label(cells[0].text())
                self.add(door, where, units, ("n",), int(cells[column].text()))

    # the city's long BI export (web: JSON, CSV, XLSX; the CLI): shares with their base

    def bi_export(self, door: str, rows: Iterable[Mapping[str, object]]) -> None:
        prefix = self.city.survey.key + "."
        for row in rows:
            unit_key, scope = str(row["unit_key"]), str(row["breakdown"] or "")
            if unit_key == "total":
                where, units = "total", self.city.total()
            elif unit_key.startswith("pool:"):
                parent = unit_key.removeprefix("pool:") or None
                where, units = unit_key, self.city.pool(parent)
            elif scope == "subtree":
                where, units = f"subtree:{unit_key}", self.city.subtree(unit_key)
            elif scope == "":
                where, units = unit_key, self.city.own(unit_key)
            else:
                raise AuditError(f"{door}: unknown breakdown {scope!r}")
            indicator = str(row["indicator_key"])
            if not indicator.startswith(prefix):
                raise AuditError(f"{door}: unknown indicator {indicator!r}")
            parts = indicator.removeprefix(prefix).split(".")
            value, n = float(str(row["value"])), int(float(str(row["n"])))
            if parts == ["respondents"]:
                self.add(door, where, units, ("n",), int(value))
                continue
            if parts[-1] == "index":
                continue  # a rounded weighted mean: not a linear equation
            question = self.city.survey.question(parts[0])
            matrix_row = parts[1] if len(parts) == 3 else ""
            self.add(door, where, units, ("base", question.key, matrix_row), n)
            count = count_from_percent(value, n, 1)
            if count is not None:
                self.add(door, where, units, ("count", question.key, matrix_row, (parts[-1],)), count)

    # the city's survey page and report: the city's figures, breakdowns, rates, the gap

    def city_page(self, url: str, door: str) -> None:
        page = parse_html(self.get(url))
        city = self.city
        self.question_sections(door, page, "total", city.total())
        self._rate_tables(door, page)
        self.split_tables(door, page, "total", city.total())
        for table in tables(page):
            if table.header[:2] == ("Enhet", "Påstående") and "Medarbetarna" in table.header:
                for cells in table.rows:
                    unit = city.unit_by_name(cells[0].text())
                    self.gap_share(door, f"subtree:{unit}", city.subtree(unit), cells[1].text(), cells[3].text())

    def split_tables(self, door: str, node: Node, where: str, units: frozenset[str]) -> None:
        """A group's respondents split by each background question (the city's and, within a
        unit, the unit's own): a table captioned with the question, 'Svar' and 'Antal' first."""
        city = self.city
        background = {q.text.get("sv"): q for q in city.counted()
                      if isinstance(q, SingleChoiceQuestion) and q.breakdown}
        for table in tables(node):
            if table.caption in background and table.header[:2] == ("Svar", "Antal"):
                question = background[table.caption]
                for cells in table.rows:
                    if cells[1].text().isdigit():
                        option = city.option_by_label(question, cells[0].text())
                        self.add(door, f"{where} by {question.key}", units,
                                 ("count", question.key, "", (option,)), int(cells[1].text()))

    # PDFs: the respondents they print (their figures are drawn as charts; the pages above
    # carry the same figures as tables)

    def pdf(self, url: str) -> list[str]:
        response = self.client.get(url)
        if response.status_code != 200:
            raise AuditError(f"{url} answered {response.status_code}")
        self.visited.append(url)
        return pdf_lines(response.data)

    def results_pdf(self, url: str) -> None:
        """Each shown group's heading, then 'Antal svarande: N'."""
        lines = self.pdf(url)
        for index, line in enumerate(lines):
            found = re.fullmatch(r"Antal svarande: (\d+)", line)
            if found:
                label = lines[index - 1]
                try:
                    where, units = self.city.cell_by_label(label)
                except AuditError:  # a long heading wrapped over two lines
                    where, units = self.city.cell_by_label(f"{lines[index - 2]} {label}")
                self.add("results-pdf", where, units, ("n",), int(found.group(1)))

    def unit_report_pdf(self, unit: str, url: str) -> None:
        door = "unit-report-pdf"
        text = " ".join(self.pdf(url))
        rate = re.search(r"Svarsfrekvens: (?:\d+ inbjudna, )?(\d+) svar", text)
        if rate:
            self.add(door, unit, self.city.own(unit), ("n",), int(rate.group(1)))
        pooled = re.search(r"andra små enheter: (.+?), (\d+) svarande\.", text)
        if pooled:
            self.add(door, *self.city.cell_by_label(pooled.group(1)), ("n",), int(pooled.group(2)))
            return
        name = self.city.names[unit]
        shown = re.search(rf"({re.escape(name)}(?: med underliggande enheter)?): (\d+) svarande\.", text)
        if shown:
            self.add(door, *self.city.cell_by_label(shown.group(1)), ("n",), int(shown.group(2)))

    # the unit report's survey section

    def unit_report(self, unit: str, url: str) -> None:
        door = "unit-report-page"
        page = parse_html(self.get(url))
        section = page.first("section", "report-survey")
        if section is None:
            return
        city = self.city
        text = section.text()
        rate = re.search(r"Svarsfrekvens: (?:\d+ inbjudna, )?(\d+) svar", text)
        if rate:
            self.add(door, unit, city.own(unit), ("n",), int(rate.group(1)))
        cell: tuple[str, frozenset[str]] | None = None
        pooled = re.search(r"andra små enheter: (.+), (\d+) svarande\.", text)
        for paragraph in section.find_all("p"):
            shown = re.fullmatch(r"(.+): (\d+) svarande\.", paragraph.text())
            if shown and not pooled:
                cell = city.cell_by_label(shown.group(1))
                self.add(door, *cell, ("n",), int(shown.group(2)))
        if pooled:
            cell = city.cell_by_label(pooled.group(1))
            self.add(door, *cell, ("n",), int(pooled.group(2)))
        for table in tables(section):
            if table.header[:1] == ("Påstående",) and "Medarbetarna" in table.header:
                for cells in table.rows:
                    self.gap_share(door, f"subtree:{unit}", city.subtree(unit), cells[0].text(), cells[2].text())
        if cell is not None:
            self.question_sections(door, section, *cell)
            self.split_tables(door, section, *cell)
        elif section.find_all("section", "result-question"):
            raise AuditError(f"{url}: figures without a group saying whose they are")


def pdf_lines(data: bytes) -> list[str]:
    """A PDF's text, line by line, whitespace made single (pypdf's text extraction)."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _csv_rows(data: str) -> Iterator[list[str]]:
    """A CSV file as the app writes it (a byte-order mark, ';' for Swedish spreadsheets)."""
    data = data.lstrip("\ufeff")
    delimiter = ";" if ";" in data.partition("\n")[0] else ","
    yield from csv.reader(io.StringIO(data), delimiter=delimiter)


def _bi_rows(data: bytes, fmt: str) -> Iterator[Mapping[str, object]]:
    if fmt == "json":
        yield from json.loads(data)
    elif fmt == "csv":
        rows = _csv_rows(data.decode("utf-8"))
        header = next(rows)
        for row in rows:
            yield dict(zip(header, row, strict=True))
    else:
        sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        for row in rows:
            yield {h: ("" if v is None else v) for h, v in zip(header, row, strict=True)}


# --- equations and the rank test -----------------------------------------------------------------

Variable = tuple  # ("n", unit) | ("b", unit) | ("c", option, unit) | ("p", option, unit)
Vector = dict


@dataclass(frozen=True)
class System:
    """One question row's unknowns (its base and option counts per unit), with the respondents
    and, for a follow-up, the answers that show it; or ("n",) for the respondents alone."""

    key: tuple[str, ...]
    options: tuple[str, ...] = ()
    shown_by: tuple[str, str, tuple[str, ...]] | None = None  # (question, row, values)


@dataclass(frozen=True)
class Finding:
    system: tuple[str, ...]
    where: str
    what: str
    n: int
    problem: str

    def __str__(self) -> str:
        return f"{'/'.join(self.system)} {self.where} (n = {self.n}) {self.what}: {self.problem}"


def _condition(city: City, question: Question) -> tuple[str, str, tuple[str, ...]] | None | bool:
    """How the questionnaire ties a question's base to other answers: None (everyone who
    answered the survey), a (question, row, values) that shows it, or False (no tie)."""
    if not getattr(question, "required", False):
        return False
    section = next(s for s in city.survey.sections if any(q.key == question.key for q in s.questions))
    conditions = [c for c in (section.show_if, question.show_if) if c is not None]
    if not conditions:
        return None
    if len(conditions) > 1:
        return False
    condition = conditions[0]
    shower = city.survey.question(condition.question)
    if not isinstance(shower, SingleChoiceQuestion) or _condition(city, shower) is not None:
        return False
    return (shower.key, "", tuple(sorted(condition.in_)))


def systems(city: City) -> list[System]:
    found = [System(("n",))]
    for question in city.counted():
        condition = _condition(city, question)
        for row in city.rows_of(question):
            found.append(System((question.key, row), tuple(city.options(question.key)),
                                condition if isinstance(condition, tuple) else None))
    return found


def _truth(city: City, system: System, variable: Variable) -> int:
    kind, *rest = variable
    if kind == "n":
        return city.n.get(rest[0], 0)
    if kind == "b":
        return city.base.get((system.key[0], system.key[1], rest[0]), 0)
    if kind == "c":
        return city.count.get((system.key[0], system.key[1], rest[0], rest[1]), 0)
    assert system.shown_by is not None
    return city.count.get((system.shown_by[0], system.shown_by[1], rest[0], rest[1]), 0)


def equation(system: System, figure: Figure) -> Vector | None:
    """The figure as a vector over `system`'s unknowns, or None when it says nothing about them."""
    measure = figure.measure
    if measure == ("n",):
        return {("n", u): 1 for u in figure.units}
    if system.key == ("n",):
        return None
    if measure[0] == "base" and tuple(measure[1:]) == system.key:
        return {("b", u): 1 for u in figure.units}
    if measure[0] == "count" and tuple(measure[1:3]) == system.key:
        return {("c", o, u): 1 for o in measure[3] for u in figure.units}
    shown_by = system.shown_by
    if (measure[0] == "count" and shown_by is not None and tuple(measure[1:3]) == shown_by[:2]
            and set(measure[3]) <= set(shown_by[2])):
        return {("p", o, u): 1 for o in measure[3] for u in figure.units}
    return None


def identities(city: City, system: System) -> list[Vector]:
    """What the questionnaire tells every reader, kept only where the answers bear it out: one
    option per answered row of a single choice or matrix; a required question answered by all
    who see it."""
    if system.key == ("n",):
        return []
    question = city.survey.question(system.key[0])
    candidates: list[Vector] = []
    for unit in city.invited:
        if not isinstance(question, MultipleChoiceQuestion):
            vector = {("b", unit): 1}
            vector.update({("c", o, unit): -1 for o in system.options})
            candidates.append(vector)
        condition = _condition(city, question)
        if condition is None:
            candidates.append({("b", unit): 1, ("n", unit): -1})
        elif isinstance(condition, tuple):
            vector = {("b", unit): 1}
            vector.update({("p", o, unit): -1 for o in condition[2]})
            candidates.append(vector)
    return [v for v in candidates if sum(c * _truth(city, system, var) for var, c in v.items()) == 0]


class RowSpace:
    """The span of some vectors, kept in reduced row echelon form over the rationals."""

    def __init__(self) -> None:
        self.rows: dict[Variable, dict[Variable, Fraction]] = {}  # pivot -> row (pivot coefficient 1)

    def reduce(self, vector: Mapping[Variable, int | Fraction]) -> dict[Variable, Fraction]:
        rest = {k: Fraction(v) for k, v in vector.items() if v}
        for pivot, row in self.rows.items():
            factor = rest.get(pivot)
            if factor:
                for key, value in row.items():
                    new = rest.get(key, 0) - factor * value
                    if new:
                        rest[key] = new
                    else:
                        rest.pop(key, None)
        return rest

    def add(self, vector: Mapping[Variable, int | Fraction]) -> None:
        rest = self.reduce(vector)
        if not rest:
            return
        pivot = min(rest, key=repr)
        scale = rest[pivot]
        new = {k: v / scale for k, v in rest.items()}
        for row in self.rows.values():
            factor = row.get(pivot)
            if factor:
                for key, value in new.items():
                    updated = row.get(key, 0) - factor * value
                    if updated:
                        row[key] = updated
                    else:
                        row.pop(key, None)
        self.rows[pivot] = new

    def contains(self, vector: Mapping[Variable, int]) -> bool:
        return not self.reduce(vector)


def _cells(city: City, figures: Iterable[Figure]) -> dict[frozenset[str], str]:
    """Every cell a reader may want: each invited unit's own, each subtree, the total, and the
    cells the outputs print (pools)."""
    cells: dict[frozenset[str], str] = {}
    for unit in sorted(city.invited):
        cells.setdefault(city.own(unit), unit)
    for unit in sorted(city.parent):
        if city.subtree(unit):
            cells.setdefault(city.subtree(unit), f"subtree:{unit}")
    cells.setdefault(city.total(), "total")
    for figure in figures:
        if figure.units:
            cells.setdefault(figure.units, figure.where)
    return cells


def _targets(city: City, system: System, units: frozenset[str]) -> list[tuple[str, Vector]]:
    """A cell's figures in `system`: its respondents, or each option's count (and the base
    where the questionnaire does not tie it to other answers)."""
    if system.key == ("n",):
        return [("respondents", {("n", u): 1 for u in units})]
    found = [(f"count of {o!r}", {("c", o, u): 1 for u in units}) for o in system.options]
    question = city.survey.question(system.key[0])
    if _condition(city, question) is False:
        found.append(("base", {("b", u): 1 for u in units}))
    return found


def _value(city: City, system: System, vector: Mapping[Variable, int]) -> int:
    return sum(c * _truth(city, system, var) for var, c in vector.items())


def _is_small(city: City, system: System, units: frozenset[str]) -> tuple[bool, int]:
    n = sum(city.n.get(u, 0) for u in units)
    if system.key == ("n",):
        return 0 < n < city.threshold, n
    base = sum(city.base.get((system.key[0], system.key[1], u), 0) for u in units)
    return (0 < n < city.threshold) or (0 < base < city.threshold), n


def audit(city: City, figures: list[Figure], *, explain: int = 3) -> list[Finding]:
    """Every hidden small cell the published figures determine, and every small cell published.
    Raises AuditError when a published figure does not match the stored answers.

    How many of a unit's staff answered is participation, not an answer: the response rates
    print it for every invited unit, so that the city office can follow participation up. The
    audit therefore takes every invited unit's respondents as known to the reader (whether or
    not an output prints them) and checks the answers under that stronger assumption."""
    findings: list[Finding] = []
    cells = _cells(city, figures)
    public = [{("n", unit): 1} for unit in sorted(city.invited)]
    for system in systems(city):
        if system.key == ("n",):
            continue  # public, see above
        published: list[tuple[Figure, Vector]] = []
        for figure in figures:
            vector = equation(system, figure)
            if vector is None:
                continue
            if _value(city, system, vector) != figure.value:
                raise AuditError(f"{figure.door} prints {figure.value} for {figure.where} {figure.measure}; "
                                 f"the answers give {_value(city, system, vector)}")
            published.append((figure, vector))
        known = [*identities(city, system), *public]
        space = RowSpace()
        for vector in _distinct([*known, *(v for _f, v in published)]):
            space.add(vector)
        for figure, _vector in published:
            small, n = _is_small(city, system, figure.units)
            if small and _measure_system(figure.measure) == system.key:
                findings.append(Finding(system.key, figure.where, str(figure.measure), n,
                                        f"published by {figure.door}"))
        printed = {frozenset(v.items()) for _f, v in published}
        for units, where in cells.items():
            small, n = _is_small(city, system, units)
            if not small:
                continue
            for what, target in _targets(city, system, units):
                if frozenset(target.items()) in printed:
                    continue  # reported above as published
                if space.contains(target):
                    doors = _explain(known, published, target) if explain > 0 else "the published figures"
                    explain -= 1
                    findings.append(Finding(system.key, where, what, n, f"determined by {doors}"))
    return findings


def _distinct(vectors: Iterable[Vector]) -> list[Vector]:
    """Each equation once: many outputs print the same figure."""
    return list({frozenset(v.items()): v for v in vectors}.values())


def _measure_system(measure: Measure) -> tuple[str, ...]:
    return ("n",) if measure == ("n",) else tuple(measure[1:3])


def _explain(known: list[Vector], published: list[tuple[Figure, Vector]], target: Vector) -> str:
    """The fewest outputs (up to three) whose figures together determine `target`."""
    doors = sorted({f.door for f, _v in published})
    for size in range(1, 4):
        for chosen in combinations(doors, size):
            space = RowSpace()
            for vector in _distinct([*known, *(v for f, v in published if f.door in chosen)]):
                space.add(vector)
            if space.contains(target):
                return " + ".join(chosen)
    return "more than three outputs together"


def read_release(app: Flask, client: FlaskClient, round_key: str) -> tuple[City, list[Figure]]:
    """What the auditor needs: the city as its admin knows it and every figure its outputs print."""
    city = load_city(app, round_key)
    reader = Reader(city, client, app)
    return city, reader.read_all()
