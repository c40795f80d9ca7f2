"""Entry point for `flask --app run.py …` and `gunicorn run:app`."""
from app import create_app
from app.core.server import settle

app = create_app()
settle(app)  # a server process: the objects of its start frozen (app/core/server.py)
