"""survey responses released in groups; access codes claimed when a draft starts

A completed response waits in `survey_pending` until its unit has enough of them to be released
together (so that no transaction id or row position tells when it arrived), and a draft no longer
names its access code: the code is marked used when the draft starts. Codes of drafts already
started are marked used here, so that they can still be resumed (by the draft) and never used
twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_pending',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_survey_pending_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_survey_pending_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_pending')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('survey_pending', schema=None) as batch_op:
        batch_op.create_index('ix_survey_pending_round_unit', ['round_id', 'unit_id'], unique=False)

    op.execute(
        "UPDATE survey_access_codes SET used = true WHERE id IN "
        "(SELECT access_code_id FROM survey_drafts WHERE access_code_id IS NOT NULL)"
    )
    with op.batch_alter_table('survey_drafts', schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.drop_constraint('fk_survey_drafts_access_code_id_survey_access_codes', type_='foreignkey')
        batch_op.drop_column('access_code_id')


def downgrade():
    # Waiting responses are completed answers with no place in the earlier schema: close their
    # rounds (which releases them) before going down.
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM survey_pending")).scalar()
    if waiting:
        raise RuntimeError(f"{waiting} survey responses wait to be released: close their rounds first")
    with op.batch_alter_table('survey_drafts', schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
        batch_op.add_column(sa.Column('access_code_id', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key('fk_survey_drafts_access_code_id_survey_access_codes', 'survey_access_codes',
                                    ['access_code_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('survey_pending', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_pending_round_unit')
    op.drop_table('survey_pending')
