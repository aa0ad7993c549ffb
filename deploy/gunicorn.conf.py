# gunicorn settings for one Terreau server process (see docs/deploy.md):
#
#     gunicorn -c deploy/gunicorn.conf.py network.wsgi:app
#
# One worker per gunicorn: Socket.IO's long-polling needs every request of a connection to
# reach the same process, which gunicorn's balancing cannot promise. Run several instances
# instead (systemd's terreau@8001, terreau@8002…, one per core) behind nginx's sticky upstream.
import os

bind = os.environ.get("TERREAU_BIND", "127.0.0.1:8001")
workers = 1
worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
worker_connections = 2000  # open WebSockets and requests in flight, per process
backlog = 1024
keepalive = 75  # above nginx's upstream keepalive_timeout (60 s): nginx closes first
timeout = 60  # a worker that stops answering its arbiter for this long is restarted
graceful_timeout = 20  # on restart, requests in flight finish; WebSockets reconnect elsewhere
# nginx on this host sets X-Forwarded-*; Terreau reads them itself (TERREAU_PROXY_COUNT=1).
forwarded_allow_ips = "127.0.0.1,::1"
accesslog = None  # nginx logs the requests (with the upstream that served each)
errorlog = "-"  # to stderr: the journal, or the file logrotate turns over
loglevel = "info"
proc_name = f"terreau-{bind.rsplit(':', 1)[-1]}"
control_socket_disable = True  # gunicorn 25+: one control socket per user would be shared
# No `preload_app`: the worker must patch the standard library for gevent before it imports
# the application.
