"""The questionnaire language: pydantic models that a YAML definition is parsed into.

One model serves three purposes: it validates a file (with `loader`/`validate`), it is the
in-memory definition that forms, answer validation and reports read, and it generates the
JSON Schema that editors use (`lagesbild questionnaires schema`). Cross-references (scale
names, condition targets, unique keys) are checked in `validate.py`, where every error of a
file can be collected at once; the models here check only the shape of each value.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonDict, JsonSchemaValue
from pydantic_core import CoreSchema

FORMAT_VERSION = 1

Key = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64),
    Field(
        description="A stable identifier: lower-case letters a-z, digits and underscore, "
        "starting with a letter. Reports match questions across versions by key, so keep "
        "it when the wording changes."
    ),
]
OptionValue = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$", min_length=1, max_length=64),
    Field(description="The value stored for this option: a-z, digits and underscore."),
]
Colour = Literal["green", "amber", "red", "grey", "blue"]

# The JSON Schema says what the checks in `references.py` say about shapes, so that an editor
# warns about the same mistakes: lists that need an entry, and option flags where they mean nothing.
AT_LEAST_ONE: JsonDict = {"minItems": 1}


def _options_without(*flags: str) -> JsonDict:
    """Schema: the options in `options` may not set `flags` to true."""
    return {"properties": {"options": {"items": {
        "properties": {flag: {"not": {"const": True}} for flag in flags}
    }}}}


class Strict(BaseModel):
    """Every model rejects fields it does not know: a typo is an error, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Swedish (required) and English (optional). Plain strings mean Swedish."""

    # The pattern asks for one visible character: a blank Swedish text is a missing one.
    sv: Annotated[str, StringConstraints(min_length=1, pattern=r"\S")] = Field(
        description="The Swedish wording (required)."
    )
    en: str | None = Field(default=None, description="The English wording (optional).")

    @model_validator(mode="before")
    @classmethod
    def _plain_string_is_swedish(cls, value: object) -> object:
        return {"sv": value} if isinstance(value, str) else value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Editors must accept the plain string that the validator above turns into {"sv": ...}.
        mapping = handler.resolve_ref_schema(handler(core_schema))
        return {
            "title": "Text",
            "description": mapping.get("description", ""),
            "anyOf": [
                {"type": "string", "minLength": 1, "pattern": r"\S", "description": "Swedish text."},
                mapping,
            ],
        }

    def get(self, language: str) -> str:
        """The text in `language`, falling back to Swedish."""
        return (self.en if language == "en" else None) or self.sv


class Option(Strict):
    value: OptionValue
    label: Text
    score: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Points 0-100 for an index: the mean score of the answers to a question.",
    )
    colour: Colour | None = Field(default=None, description="Colour shown with the option.")
    exclusive: bool = Field(
        default=False,
        description="multiple_choice only: choosing this option clears and forbids the others "
        "(for example 'Nej, inte alls').",
    )
    other: bool = Field(
        default=False,
        description="multiple_choice/single_choice only: 'other, specify'; choosing it asks for "
        "a short text of its own.",
    )


class Scale(Strict):
    """A named list of options, defined once and used by rating and matrix questions."""

    key: Key
    options: list[Option] = Field(description="In display order; at least one.",
                                  json_schema_extra=AT_LEAST_ONE)

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"allOf": [_options_without("exclusive", "other")]})


class Row(Strict):
    """A row of a matrix question: one answer per row on the matrix's scale."""

    key: Key
    label: Text


class Condition(Strict):
    """Show a question or section only when an earlier answer contains one of `in`, or (with
    `not_in`) when it was answered with none of `not_in`.

    For a single choice or rating: the chosen value is one of `in`. For a multiple choice:
    any chosen value is one of `in`. For a matrix: the answer of `row` (or, without `row`,
    of any row) is one of `in`. `not_in` is the negation: the earlier question was answered
    and none of its values is among `not_in`, so an unanswered question shows neither kind.
    Exactly one of `in` and `not_in` is given. Answers to a hidden question are discarded.
    """

    question: Key = Field(description="Key of an earlier question.")
    row: Key | None = Field(default=None, description="Matrix questions: the row to test.")
    in_: list[OptionValue] | None = Field(
        default=None, alias="in", min_length=1, description="Values that show it."
    )
    not_in: list[OptionValue] | None = Field(
        default=None, min_length=1,
        description="Values that hide it: shown when the earlier question was answered with none of them.",
    )

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True,
        json_schema_extra={"oneOf": [{"required": ["in"]}, {"required": ["not_in"]}]},
    )

    @model_validator(mode="after")
    def _one_of_in_or_not_in(self) -> Condition:
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("give exactly one of 'in' and 'not_in'")
        return self

    @property
    def negated(self) -> bool:
        return self.not_in is not None

    @property
    def values(self) -> list[str]:
        """The values the condition names (those of `in`, or those of `not_in`)."""
        return list(self.not_in if self.not_in is not None else self.in_ or [])

    def matches(self, answered: set[str]) -> bool:
        """Whether an answer whose condition values are `answered` shows the item; an empty set
        is no answer, which shows nothing."""
        if not answered:
            return False
        if self.not_in is not None:
            return not (answered & set(self.not_in))
        return bool(answered & set(self.in_ or []))


class StaffView(Strict):
    """Links a rating statement to the staff survey answer on the same theme (the gap view)."""

    survey: Key = Field(description="Key of the survey questionnaire.")
    question: Key = Field(description="Key of the survey question.")
    row: Key | None = Field(default=None, description="Matrix questions: the row to read.")
    favourable: list[OptionValue] = Field(
        min_length=1, description="Answers that agree with a 'satisfactory' rating."
    )
    label: Text | None = Field(default=None, description="How the staff figure is described.")


class QuestionBase(Strict):
    key: Key
    text: Text
    help: Text | None = Field(default=None, description="Help shown under the question.")
    required: bool = True
    show_if: Condition | None = None

    def options_in(self, definition: Definition) -> list[Option]:
        """The options the question offers (from its scale or its list); none for texts, numbers
        and dates."""
        return []


class RatingQuestion(QuestionBase):
    """A statement rated on a scale, with a written motivation (the self-assessment)."""

    type: Literal["rating"]
    scale: Key = Field(description="Key of a scale in `scales`.")
    motivation: Literal["required", "optional", "none"] = "required"
    motivation_max_length: int = Field(default=5000, ge=1, le=50000)
    staff_view: StaffView | None = None

    def options_in(self, definition: Definition) -> list[Option]:
        return list(definition.scale(self.scale).options)


class SingleChoiceQuestion(QuestionBase):
    type: Literal["single_choice"]
    scale: Key | None = Field(default=None, description="Either a scale or options.")
    options: list[Option] | None = Field(default=None, json_schema_extra=AT_LEAST_ONE)
    breakdown: bool = Field(
        default=False, description="Reports may group results by the answers to this question."
    )
    other_max_length: int = Field(default=200, ge=1, le=5000)

    # Exactly one of `scale` and `options` (written, even as null, counts as given).
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={
        "oneOf": [{"required": ["scale"]}, {"required": ["options"]}],
        "allOf": [_options_without("exclusive")],
    })

    def options_in(self, definition: Definition) -> list[Option]:
        if self.options:
            return list(self.options)
        return list(definition.scale(self.scale).options) if self.scale else []


class MultipleChoiceQuestion(QuestionBase):
    type: Literal["multiple_choice"]
    options: list[Option] = Field(json_schema_extra=AT_LEAST_ONE)
    min_choices: int | None = Field(default=None, ge=1)
    max_choices: int | None = Field(default=None, ge=1)
    other_max_length: int = Field(default=200, ge=1, le=5000)

    def options_in(self, definition: Definition) -> list[Option]:
        return list(self.options)


class MatrixQuestion(QuestionBase):
    """Rows that share one scale, one answer per row."""

    type: Literal["matrix"]
    scale: Key
    rows: list[Row] = Field(json_schema_extra=AT_LEAST_ONE)

    def options_in(self, definition: Definition) -> list[Option]:
        return list(definition.scale(self.scale).options)


class TextQuestion(QuestionBase):
    """Free text: `text` is one line, `long_text` a text area."""

    type: Literal["text", "long_text"]
    max_length: int = Field(default=2000, ge=1, le=50000)
    min_length: int = Field(default=0, ge=0)


class NumberQuestion(QuestionBase):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = True
    unit: Text | None = Field(default=None, description="Shown after the field, e.g. 'st'.")


class DateQuestion(QuestionBase):
    """A calendar date, written YYYY-MM-DD, within an optional range."""

    type: Literal["date"]
    min: date | None = Field(default=None, description="The earliest date allowed (YYYY-MM-DD).")
    max: date | None = Field(default=None, description="The latest date allowed (YYYY-MM-DD).")


Question = Annotated[
    RatingQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | MatrixQuestion
    | TextQuestion
    | NumberQuestion
    | DateQuestion,
    Field(discriminator="type"),
]


class Section(Strict):
    """A group of questions; in the staff survey each section is one page."""

    key: Key
    title: Text
    intro: Text | None = Field(default=None, description="Light Markdown: paragraphs, emphasis, lists.")
    show_if: Condition | None = None
    questions: list[Question] = Field(json_schema_extra=AT_LEAST_ONE)


class RiskLevel(Strict):
    """A band of risk values (likelihood x consequence) with its label and colour."""

    key: Key
    label: Text
    colour: Colour
    max_value: int = Field(ge=1, description="Highest risk value in this band; bands ascend.")


class RiskScale(Strict):
    label: Text
    options: list[Option] = Field(
        description="Ascending; option values are the numbers 1, 2, 3 ... as strings.",
        json_schema_extra=AT_LEAST_ONE,
    )

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"allOf": [_options_without("exclusive", "other")]})


class CatalogueItem(Strict):
    """An example risk moment that a unit can pick and adapt."""

    key: Key
    activity: Text = Field(description="The activity or work step, e.g. 'Hembesök'.")
    description: Text | None = None
    forms: list[Key] = Field(default_factory=list, description="Keys of forms of influence.")


class RiskChoice(Strict):
    """A question the risk form asks about every risk, with options the template names (who
    influences, and whether the influence is planned or reactive)."""

    label: Text
    hint: Text | None = Field(default=None, description="Shown under the label on the risk form.")
    options: list[Option] = Field(description="In display order; at least one.",
                                  json_schema_extra=AT_LEAST_ONE)


class InfluencerKind(RiskChoice):
    """Planned or reactive influence: one answer per risk."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"allOf": [_options_without("exclusive", "other")]})


class Influencer(RiskChoice):
    """Who influences: any number of options per risk; an option with `other: true` asks for a text."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"allOf": [_options_without("exclusive")]})


class ControlPlan(Strict):
    """The wording of the internal control plan's questions on the risk form: whether the risk
    goes into the board's internal control plan, with which control, who owns the control and
    by which board decision."""

    label: Text = Field(description="Heading of the part, e.g. 'Internkontrollplan'.")
    hint: Text | None = None
    included: Text = Field(description="The yes/no question: does the risk go into the plan?")
    control: Text = Field(description="The control (kontrollmoment); required when included.")
    owner: Text = Field(description="Who owns the control.")
    decision: Text = Field(description="The board decision's reference (diarienummer, paragraf).")
    decided_on: Text = Field(description="The date of the board decision.")


class RiskTemplate(Strict):
    forms: list[Row] = Field(description="The forms of influence (trakasserier, hot, ...).",
                             json_schema_extra=AT_LEAST_ONE)
    likelihood: RiskScale
    consequence: RiskScale
    levels: list[RiskLevel] = Field(description="Ascending by max_value; the last covers the top.",
                                    json_schema_extra=AT_LEAST_ONE)
    catalogue: list[CatalogueItem] = Field(default_factory=list)
    influencer_kind: InfluencerKind | None = Field(
        default=None, description="Planned or reactive influence; not asked when left out.")
    influencer: Influencer | None = Field(
        default=None, description="Who influences (client, relative, ...); not asked when left out.")
    control_plan: ControlPlan | None = Field(
        default=None, description="The internal control plan's questions; not asked when left out.")


class Definition(Strict):
    """A whole questionnaire file."""

    format: Literal[1] = Field(description="Version of this file format.")
    key: Key = Field(description="Stable key of the questionnaire across versions.")
    kind: Literal["unit_questionnaire", "survey", "risk_template"]
    title: Text
    intro: Text | None = Field(default=None, description="Light Markdown shown before the first section.")
    scales: list[Scale] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    risk: RiskTemplate | None = Field(default=None, description="risk_template only.")

    # A questionnaire or survey needs a section; `risk` is there exactly in a risk_template.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"allOf": [
        {"if": {"properties": {"kind": {"enum": ["unit_questionnaire", "survey"]}}, "required": ["kind"]},
         "then": {"required": ["sections"], "properties": {"sections": AT_LEAST_ONE}}},
        {"if": {"properties": {"kind": {"const": "risk_template"}}, "required": ["kind"]},
         "then": {"required": ["risk"]},
         "else": {"not": {"required": ["risk"]}}},
    ]})

    def questions(self) -> list[Question]:
        """Every question in document order."""
        return [question for section in self.sections for question in section.questions]

    def question(self, key: str) -> Question:
        for question in self.questions():
            if question.key == key:
                return question
        raise KeyError(key)

    def scale(self, key: str) -> Scale:
        for scale in self.scales:
            if scale.key == key:
                return scale
        raise KeyError(key)

    def options_of(self, question: Question) -> list[Option]:
        """The options a choice, rating or matrix question offers, from its scale or its list."""
        return question.options_in(self)
