"""The WSGI application for gunicorn with gevent-websocket workers (see docs/deploy.md):

    gunicorn -c deploy/gunicorn.conf.py network.wsgi:app

The worker patches the standard library for gevent before it imports this module (do not
`--preload`), so Socket.IO runs in gevent mode, WebSockets included.
"""

from network import create_app
from network.serving import prepare

app = create_app()
prepare(app)
