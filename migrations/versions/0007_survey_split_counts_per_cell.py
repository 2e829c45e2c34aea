"""survey split counts per cell

The breakdowns (each counted question's answers split by each background question's answer)
read counts kept per round, unit, background answer and answer, written when answers are
released, instead of joining every answer row with the same response's background answers on
the first city report after each completion. The split counts of responses already stored are
computed here from their answers, per round with a survey: its background questions are those
its stored definition marks `breakdown: true`, its counted questions the single choices,
multiple choices and matrices (what `services.survey.split_counts_from_answers` computes).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The question types a survey counts per answer (what `questions.types` marks `counted`).
COUNTED_TYPES = ('single_choice', 'multiple_choice', 'matrix')

COLUMNS = "round_id, unit_id, by_question, by_value, question_key, row_key, value, respondents"
SPLIT = (
    "FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
    "JOIN survey_answers b ON b.response_id = a.response_id AND b.question_key IN :background "
    "AND b.value <> '' "
    "WHERE r.round_id = :round_id AND a.question_key IN :counted "
)
GROUPED = "r.round_id, r.unit_id, b.question_key, b.value, a.question_key"


def upgrade():
    op.create_table('survey_split_counts',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('by_question', sa.String(length=64), nullable=False),
    sa.Column('by_value', sa.String(length=64), nullable=False),
    sa.Column('question_key', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('respondents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_survey_split_counts_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_survey_split_counts_unit_id_units')),
    sa.PrimaryKeyConstraint('round_id', 'unit_id', 'by_question', 'by_value', 'question_key', 'row_key', 'value', name=op.f('pk_survey_split_counts')),
    sqlite_with_rowid=False
    )
    connection = op.get_bind()
    surveys = connection.execute(sa.text(
        "SELECT rq.round_id, v.definition FROM round_questionnaires rq "
        "JOIN questionnaire_versions v ON v.id = rq.questionnaire_version_id "
        "JOIN questionnaires q ON q.id = v.questionnaire_id WHERE q.kind = 'survey'")).all()
    for round_id, definition in surveys:
        if isinstance(definition, str):
            definition = json.loads(definition)
        questions = [question for section in definition.get('sections') or ()
                     for question in section.get('questions') or ()]
        background = [q['key'] for q in questions if q.get('breakdown')]
        counted = [q['key'] for q in questions if q.get('type') in COUNTED_TYPES]
        if not background or not counted:
            continue
        params = {'round_id': round_id, 'background': background, 'counted': counted}
        expanding = (sa.bindparam('background', expanding=True), sa.bindparam('counted', expanding=True))
        # One row per answer given, and ('', '') per question answered, per background answer.
        connection.execute(sa.text(
            f"INSERT INTO survey_split_counts ({COLUMNS}) "
            f"SELECT {GROUPED}, a.row_key, a.value, COUNT(*) {SPLIT} AND a.value <> '' "
            f"GROUP BY {GROUPED}, a.row_key, a.value").bindparams(*expanding), params)
        connection.execute(sa.text(
            f"INSERT INTO survey_split_counts ({COLUMNS}) "
            f"SELECT {GROUPED}, '', '', COUNT(DISTINCT a.response_id) {SPLIT} "
            f"GROUP BY {GROUPED}").bindparams(*expanding), params)


def downgrade():
    op.drop_table('survey_split_counts')
