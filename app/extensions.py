"""Flask extensions, created unbound here and bound to an application in create_app()."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints so that Alembic's batch mode can alter them on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


if TYPE_CHECKING:
    class _ScopedSession(Session):
        def remove(self) -> None:
            """Close the current context's Session and forget it."""

    class _Database(SQLAlchemy):
        """What the type checker is told `db` is. Its `session` is a scoped session that hands
        every call on to the Session of the current context, so services typed with `Session`
        accept it."""

        session: _ScopedSession  # type: ignore[assignment]

    db: _Database
    # The models' base: `Base` with Flask-SQLAlchemy's mixins (a table name from the class
    # name, binds); the checker is told `Base`, as a base class must be a class it knows.
    Model = Base
else:
    db = SQLAlchemy(model_class=Base)
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
