"""The risk section of the unit report and of the city-wide picture: the risk matrix as a heat
grid (one chart code path, SVG on pages and a drawing in PDFs), the register sorted by level and,
per self-assessment statement at Delvis/Nej, whether a measure exists.

`build_risk_section` computes the unit's section once; `templates/reports/_risks.html` and
`risk_flowables` show the same content. `city_risk_flowables` gives the city-wide lägesbild its
risk pages from `app.services.risks.city.city_overview`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from reportlab.platypus import Flowable, KeepTogether

from app.definitions.schema import RiskLevel, RiskTemplate
from app.models import Round, Unit
from app.reports.heat_grid import HeatCell, HeatGrid, heat_grid, heat_grid_table
from app.reports.pdf import CONTENT_WIDTH, data_table, level_badge, para, styles
from app.services.risks.city import CityOverview, CityPlan
from app.services.risks.register import (
    StatementCoverage,
    register_target,
    self_assessment_answers,
    statement_coverage,
    template_of,
)
from app.services.risks.values import (
    MEASURE_STATUS_LABELS,
    NO_RISKS_KEY,
    Measure,
    Risk,
    RiskCell,
    influencer_kind_label,
    influencers_label,
    level_of,
    plan_decision_text,
    risk_matrix,
    risks_of,
    sorted_register,
)
from app.services.submissions import NotFound, get_response


def matrix_grid(template: RiskTemplate, risks: Iterable[Risk] | None, language: str, *,
                cells: list[list[RiskCell]] | None = None) -> HeatGrid:
    """Likelihood (rows, most likely on top) × consequence, each cell coloured by its level and
    showing the number of risks in it and the level."""
    rows = cells if cells is not None else risk_matrix(template, risks or ())
    return HeatGrid(
        row_labels=tuple(f"{row[0].likelihood.value} {row[0].likelihood.label.get(language)}" for row in rows),
        column_labels=tuple(f"{o.value} {o.label.get(language)}" for o in template.consequence.options),
        cells=tuple(tuple(HeatCell(f"{cell.count} · {cell.level.label.get(language)}", cell.level.colour)
                          for cell in row) for row in rows),
        row_title=template.likelihood.label.get(language),
        column_title=template.consequence.label.get(language),
    )


@dataclass(frozen=True)
class RiskRow:
    risk: Risk
    level: RiskLevel | None
    forms: str  # the forms of influence, as labels
    influencer_kind: str = ""  # planned or reactive, as its label
    influencers: str = ""  # who influences, as labels


@dataclass(frozen=True)
class RiskSection:
    status: str  # not_started | draft | submitted | reopened
    template: RiskTemplate
    rows: tuple[RiskRow, ...]
    grid: HeatGrid
    coverage: tuple[StatementCoverage, ...]
    language: str
    no_risks: str = ""  # why no risk applies, given when submitting a register without risks
    today: date | None = None  # for the overdue marks; None means the day the report is made

    def drawing(self):
        return heat_grid(self.grid)

    def table(self):
        return heat_grid_table(self.grid)


def build_risk_section(session, round_: Round, unit: Unit, language: str,
                       today: date | None = None) -> RiskSection | None:
    """The unit's register in the round, or None when the round has no risk template."""
    try:
        target = register_target(session, round_, unit)
    except NotFound:
        return None
    template = template_of(target)
    response = get_response(session, target)
    risks = sorted_register(template, risks_of(response.answers if response else {}))
    labels = {f.key: f.label.get(language) for f in template.forms}
    own = self_assessment_answers(session, round_, unit)
    coverage = statement_coverage(own[0], own[1], risks, language) if own else []
    return RiskSection(
        status=response.status if response is not None else "not_started", template=template,
        rows=tuple(RiskRow(r, level_of(template, r), ", ".join(labels.get(f, f) for f in r.forms),
                           influencer_kind_label(template, r, language),
                           influencers_label(template, r, language))
                   for r in risks),
        grid=matrix_grid(template, risks, language), coverage=tuple(coverage), language=language,
        no_risks=str((response.answers or {}).get(NO_RISKS_KEY) or "") if response is not None else "",
        today=today or date.today(),
    )


def _level_cell(level: RiskLevel | None, value: int | None, language: str) -> Flowable | str:
    if level is None:
        return _("Ej bedömd")
    return level_badge(f"{level.label.get(language)} ({value})", level.colour)


def _measures_text(risk: Risk, today: date | None = None) -> str:
    """The measures in one cell; with `today`, a measure past its date and not done is marked."""
    if not risk.measures:
        return _("Ingen åtgärd")
    return "\n".join(
        f"{m.action} – {m.owner or _('ansvarig saknas')}, {m.due_on.isoformat() if m.due_on else '–'}, "
        f"{MEASURE_STATUS_LABELS.get(m.status, m.status)}"
        + (f" – {_('FÖRSENAD')}" if today is not None and m.is_overdue(today) else "") for m in risk.measures)


def risk_flowables(section: RiskSection | None) -> list[Flowable]:
    """The unit PDF's risk section (nothing when the round has no risk template)."""
    if section is None:
        return []
    s = styles()
    story: list[Flowable] = [para(_("Riskanalys"), s.h1)]
    if not section.rows and section.status == "submitted":
        story.append(para(_("Inskickat utan risker. Motivering: %(text)s", text=section.no_risks or "–"), s.body))
    elif not section.rows:
        story.append(para(_("Enheten har inte dokumenterat några risker i omgången."), s.body))
    else:
        story.append(KeepTogether([para(_("Riskmatris: antal risker per ruta"), s.h2), heat_grid(section.grid)]))
        story.append(para(_("Riskregister"), s.h2))
        story.append(data_table(
            (_("Verksamhet eller moment"), _("Former av påverkan"), _("Risknivå"), _("Åtgärder")),
            [(row.risk.activity, row.forms, _level_cell(row.level, row.risk.value, section.language),
              _measures_text(row.risk, section.today)) for row in section.rows]))
        story += risk_detail_flowables(section)
    story += coverage_flowables(section.coverage, section.language)
    return story


def risk_detail_flowables(section: RiskSection) -> list[Flowable]:
    """Each risk in full: description, existing controls, who influences and how, the internal
    control plan's entry, the follow-up, and the measures with their follow-ups and overdue marks."""
    s = styles()
    template, language = section.template, section.language
    today = section.today or date.today()
    story: list[Flowable] = [para(_("Riskerna i detalj"), s.h2)]
    for number, row in enumerate(section.rows, start=1):
        item = row.risk
        level = f"{row.level.label.get(language)} ({item.value})" if row.level else _("Ej bedömd")
        facts: list[tuple[str, str]] = [
            (_("Risknivå"), level),
            (_("Former av påverkan"), row.forms or "–"),
            (_("Beskrivning"), item.description or "–"),
            (_("Befintliga kontroller"), item.controls or "–"),
        ]
        if template.influencer_kind is not None:
            facts.append((template.influencer_kind.label.get(language), row.influencer_kind or _("Ej angiven")))
        if template.influencer is not None:
            facts.append((template.influencer.label.get(language), row.influencers or _("Ej angiven")))
        if template.control_plan is not None:
            plan = template.control_plan
            if item.in_plan:
                entry = "\n".join(part for part in (
                    _("Ingår"),
                    f"{plan.control.get(language)}: {item.plan_control}" if item.plan_control else "",
                    f"{plan.owner.get(language)}: {item.plan_owner}" if item.plan_owner else "",
                    f"{_('Beslut')}: {plan_decision_text(item)}" if plan_decision_text(item) else "",
                ) if part)
            else:
                entry = _("Ingår inte")
            facts.append((plan.label.get(language), entry))
        facts.append((_("Uppföljning"), item.follow_up or "–"))
        block: list[Flowable] = [para(f"{number}. {item.activity}", s.h2),
                                 data_table((_("Uppgift"), _("Innehåll")), facts, zebra=False,
                                            col_widths=(FACT_COLUMN, CONTENT_WIDTH - FACT_COLUMN))]
        if item.measures:
            block.append(data_table(
                (_("Åtgärd"), _("Ansvarig"), _("Klart senast"), _("Status"), _("Uppföljning av åtgärden")),
                [(m.action, m.owner or _("ansvarig saknas"), m.due_on.isoformat() if m.due_on else "–",
                  str(MEASURE_STATUS_LABELS.get(m.status, m.status))
                  + (f"\n{_('FÖRSENAD')}" if m.is_overdue(today) else ""),
                  _follow_ups_text(m) or "–") for m in item.measures]))
        else:
            block.append(para(_("Ingen åtgärd"), s.body))
        story.append(KeepTogether(block))
    return story


FACT_COLUMN = 130.0  # the risk detail's label column, so every risk's facts line up


def _follow_ups_text(measure: Measure) -> str:
    lines = []
    for entry in measure.follow_ups:
        line = f"{entry.on.isoformat() if entry.on else '–'}, {entry.by}: {entry.comment}"
        if entry.status:
            line += f" ({_('ny status')}: {MEASURE_STATUS_LABELS.get(entry.status, entry.status)})"
        lines.append(line)
    return "\n".join(lines)


def coverage_flowables(coverage: Sequence[StatementCoverage], language: str) -> list[Flowable]:
    if not coverage:
        return []
    s = styles()
    return [para(_("Påståenden bedömda som delvis eller nej"), s.h2), data_table(
        (_("Påstående"), _("Bedömning"), _("Risker"), _("Åtgärd finns")),
        [(item.text, item.rating.label.get(language), item.risks, _("Ja") if item.has_measure else _("Nej"))
         for item in coverage])]


def city_risk_flowables(overview: CityOverview, language: str) -> list[Flowable]:
    """The city-wide lägesbild's risk pages: matrix, recurring risks, highest risks, measures past
    due and the units without any documented risk (submitted without risks, or not submitted)."""
    s = styles()
    story: list[Flowable] = [
        para(_("Riskanalys i staden"), s.h1),
        para(_("%(n)d av %(m)d inbjudna enheter har lämnat in sitt riskregister.",
               n=overview.submitted, m=overview.invited), s.body),
        heat_grid(matrix_grid(overview.template, None, language, cells=overview.matrix)),
    ]
    if overview.by_catalogue:
        story += [para(_("Risker som återkommer i flera enheter"), s.h2), data_table(
            (_("Exempel i katalogen"), _("Enheter"), _("Risker")),
            [(g.label, ", ".join(g.units), g.risks) for g in overview.by_catalogue])]
    if overview.by_form:
        story += [para(_("Former av påverkan i flera enheter"), s.h2), data_table(
            (_("Form av påverkan"), _("Enheter"), _("Risker")),
            [(g.label, len(g.units), g.risks) for g in overview.by_form])]
    if overview.highest:
        story += [para(_("De högsta riskerna"), s.h2), data_table(
            (_("Enhet"), _("Verksamhet eller moment"), _("Risknivå"), _("Åtgärder")),
            [(r.unit_name, r.risk.activity, _level_cell(r.level, r.risk.value, language), _measures_text(r.risk))
             for r in overview.highest])]
    if overview.overdue:
        story += [para(_("Åtgärder som passerat sitt datum"), s.h2), data_table(
            (_("Enhet"), _("Åtgärd"), _("Ansvarig"), _("Klart senast")),
            [(o.unit_name, o.measure.action, o.measure.owner,
              o.measure.due_on.isoformat() if o.measure.due_on else "") for o in overview.overdue])]
    story += city_plan_flowables(overview.plan, language)
    story += without_risks_flowables(overview)
    return story


def without_risks_flowables(overview: CityOverview) -> list[Flowable]:
    """The invited units without a documented risk, as the city overview page lists them: "Ingen
    risk" with the statement only for a register submitted without risks, "Ej inskickat" for a
    unit whose register is a draft or not started (it has documented nothing yet)."""
    s = styles()
    story: list[Flowable] = [para(_("Enheter utan dokumenterade risker"), s.h2)]
    if not overview.without_risks:
        return [*story, para(_("Inga."), s.body)]
    rows = [(u.name, _("Ingen risk"), statement or _("ingen motivering lämnades"))
            for u, statement in overview.submitted_empty]
    rows += [(u.name, _("Ej inskickat"), "") for u in overview.not_submitted]
    story.append(data_table((_("Enhet"), _("Status"), _("Motivering")), rows))
    return story


def city_plan_flowables(plan: CityPlan | None, language: str) -> list[Flowable]:
    """Planned vs reactive influence and the risks in the boards' internal control plans, from
    submitted registers (as the city overview page shows them)."""
    if plan is None:
        return []
    s = styles()
    story: list[Flowable] = [para(_("Påverkan och nämndernas internkontrollplaner"), s.h2)]
    if plan.kinds:
        story.append(data_table((_("Påverkan"), _("Antal risker"), _("Antal enheter")),
                                [(k.label, k.risks, k.units) for k in plan.kinds]))
    if plan.entries:
        story.append(para(_("Antal risker i internkontrollplanerna: %(n)d (hos %(m)d enheter).",
                            n=len(plan.entries), m=plan.units_with_plan), s.body))
        story.append(data_table(
            (_("Enhet"), _("Risk"), _("Risknivå"), _("Kontrollmoment"), _("Ansvarig"), _("Beslut")),
            [(e.unit_name, e.risk.activity, _level_cell(e.level, e.risk.value, language), e.risk.plan_control,
              e.risk.plan_owner, plan_decision_text(e.risk)) for e in plan.entries]))
    else:
        story.append(para(_("Ingen inskickad risk ingår i en internkontrollplan."), s.body))
    return story
