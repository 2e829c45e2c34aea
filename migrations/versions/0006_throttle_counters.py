"""throttle counters instead of throttle events

Throttling counts an attempt before it is checked, with one atomic upsert of a counter per scope
and key (a keyed hash), instead of counting event rows and inserting one after the check. Events
last at most a minute and are not carried over: the limits start afresh.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_counters',
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_ends', sa.DateTime(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'key_hash', name=op.f('pk_throttle_counters'))
    )
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index('ix_throttle_counters_window_ends', ['window_ends'], unique=False)

    with op.batch_alter_table('throttle_events', schema=None) as batch_op:
        batch_op.drop_index('ix_throttle_events_scope_key_at')
    op.drop_table('throttle_events')


def downgrade():
    op.create_table('throttle_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_throttle_events'))
    )
    with op.batch_alter_table('throttle_events', schema=None) as batch_op:
        batch_op.create_index('ix_throttle_events_scope_key_at', ['scope', 'key_hash', 'at'], unique=False)

    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index('ix_throttle_counters_window_ends')
    op.drop_table('throttle_counters')
