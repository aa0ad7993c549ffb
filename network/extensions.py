"""Unbound extensions, bound to the application in `create_app()`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from network.core import memorylimits  # noqa: F401  # registers swept-memory://
from network.core.inputs import BoundedJSON
from network.core.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO(json=BoundedJSON)  # deep JSON in a packet is refused, not recursed
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
