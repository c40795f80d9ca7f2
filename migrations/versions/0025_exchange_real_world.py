"""Liên thông with the real world: arrivals instead of one row per DocumentId (a package sent
again after a return is a new arrival linked to the earlier one), the warnings a clerk sees,
the XML-DSig result, repeated copies, the platform channel of a partner and the platform's ids.

The unique key of exchange_inbound gains `sequence`. On SQLite a constraint can only change by
rebuilding the table; the rebuild drops the old table, which under enforced foreign keys
deletes (ON DELETE CASCADE) the status messages in exchange_outbox that point at it: they are
kept aside and put back. Other columns are plain ALTER TABLE ADD COLUMN.

Revision ID: 0025_exchange_real_world
Revises: 0024_delegation
Create Date: 2026-12-03 12:30:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_exchange_real_world'
down_revision = '0024_delegation'
branch_labels = None
depends_on = None

OLD = ('uq_exchange_inbound_document', ['from_organ_id', 'document_key', 'business_type'])
NEW = ('uq_exchange_inbound_arrival', ['from_organ_id', 'document_key', 'business_type',
                                       'sequence'])
COLUMNS = [  # exchange_inbound
    sa.Column('warnings', sa.Text(), nullable=True),
    sa.Column('signature_state', sa.String(length=12), nullable=True),
    sa.Column('signature_note', sa.Text(), nullable=True),
    sa.Column('repeats', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('last_repeat_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('platform_id', sa.String(length=100), nullable=True),
]


def _rebuild_key(old, new, add_sequence):
    """Swap the unique key of exchange_inbound (and add or drop `sequence`)."""
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(old[0], 'exchange_inbound', type_='unique')
        if add_sequence:
            op.add_column('exchange_inbound', sa.Column('sequence', sa.Integer(),
                                                        nullable=False, server_default='0'))
        else:
            op.drop_column('exchange_inbound', 'sequence')
        op.create_unique_constraint(new[0], 'exchange_inbound', new[1])
        return
    op.execute("CREATE TEMPORARY TABLE keep_outbox AS SELECT * FROM exchange_outbox "
               "WHERE inbound_id IS NOT NULL")
    with op.batch_alter_table('exchange_inbound', recreate='always') as batch:
        batch.drop_constraint(old[0], type_='unique')
        if add_sequence:
            batch.add_column(sa.Column('sequence', sa.Integer(), nullable=False,
                                       server_default='0'))
        else:
            batch.drop_column('sequence')
        batch.create_unique_constraint(new[0], new[1])
    op.execute("INSERT INTO exchange_outbox SELECT * FROM keep_outbox "
               "WHERE id NOT IN (SELECT id FROM exchange_outbox)")
    op.execute("DROP TABLE keep_outbox")


def upgrade():
    _rebuild_key(OLD, NEW, add_sequence=True)
    for column in COLUMNS:
        op.add_column('exchange_inbound', column)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE exchange_inbound ADD COLUMN previous_id INTEGER "
                   "REFERENCES exchange_inbound (id)")
    else:
        op.add_column('exchange_inbound', sa.Column('previous_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_exchange_inbound_previous', 'exchange_inbound',
                              'exchange_inbound', ['previous_id'], ['id'])
    op.add_column('exchange_partner', sa.Column('channel', sa.String(length=10),
                                                nullable=False, server_default='direct'))
    op.add_column('exchange_outbox', sa.Column('platform_id', sa.String(length=100),
                                               nullable=True))


def downgrade():
    op.drop_column('exchange_outbox', 'platform_id')
    op.drop_column('exchange_partner', 'channel')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_exchange_inbound_previous', 'exchange_inbound',
                           type_='foreignkey')
    # Later arrivals of a DocumentId cannot stay under the old key: only the first is kept.
    op.execute("UPDATE exchange_inbound SET previous_id = NULL")
    op.execute("DELETE FROM exchange_inbound WHERE sequence > 0")
    for name in ['previous_id'] + [c.name for c in COLUMNS]:
        op.drop_column('exchange_inbound', name)
    _rebuild_key(NEW, OLD, add_sequence=False)
