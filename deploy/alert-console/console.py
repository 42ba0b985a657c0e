"""The console receiver: logs every Alertmanager webhook notification as one
line per alert (docker compose logs -f alert-console). POSTs to
/deadmansswitch are the Watchdog's heartbeats (alertmanager.yml's
deadmansswitch receiver, until it points at a real dead man's switch)."""
import json
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            payload = json.loads(body)
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        for alert in payload.get("alerts", []):
            labels = alert.get("labels", {})
            print(
                ("heartbeat " if self.path == "/deadmansswitch" else "")
                + f"[{alert.get('status', '?').upper()}] {labels.get('severity', '-')} "
                f"{labels.get('alertname', '?')} {labels.get('instance', '')}: "
                f"{alert.get('annotations', {}).get('summary', '')}",
                flush=True,
            )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("", 8080), Handler).serve_forever()
