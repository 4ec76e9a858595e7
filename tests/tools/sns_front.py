"""SNS's HTTPS side for moto: where moto's SNS delivers, and where its certificate is fetched.

Usage: python sns_front.py DIR

moto's SNS delivers a published message to an HTTPS subscription with a real POST, the message
signed (SignatureVersion 2) by a key of moto's own, whose certificate moto serves. Two things
stand between that and a real delivery, and this front supplies them, as SNS's own front door
would:
- moto sends none of the `x-amz-sns-*` headers SNS sends with every delivery; the front adds
  `x-amz-sns-message-type`, `-message-id` and `-topic-arn` from the message itself;
- the message's `SigningCertURL` names `https://sns.<region>.amazonaws.com`, which this machine
  cannot reach, so the front points it at its own plain-HTTP port (a loopback origin the
  component accepts through `sns_cert_origin`) and serves moto's certificate there.
`SigningCertURL` is not among the fields SNS signs, so the signature is moto's, unchanged.

On start it writes a self-signed certificate for 127.0.0.1 (`DIR/ca.pem`: moto trusts it
through `REQUESTS_CA_BUNDLE`), listens on two loopback ports and prints
`{"https": PORT, "http": PORT}`. It reads `DIR/config.json` at each delivery:
`{"app": ORIGIN, "moto": ORIGIN, "tamper": bool}` (where to forward, where moto is, whether to
change one character of the signed `Message` first); before it exists, deliveries are only
recorded. Each delivery is appended to `DIR/deliveries.jsonl`: the message's type, topic,
`Message`, the path it came to, and the component's status and answer.
"""
import datetime
import http.server
import ipaddress
import json
import os
import re
import ssl
import sys
import threading
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DIR = sys.argv[1]
CERT_URL = re.compile(r"^https://sns\.([a-z0-9-]+)\.amazonaws\.com/(SimpleNotificationService-[0-9a-f]+\.pem)$")
lock = threading.Lock()


def self_signed():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(os.path.join(DIR, "ca.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(DIR, "key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def config():
    try:
        with open(os.path.join(DIR, "config.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def record(entry):
    with lock, open(os.path.join(DIR, "deliveries.jsonl"), "a") as f:
        f.write(json.dumps(entry) + "\n")


def send(request):
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
    except OSError as unreachable:
        return 502, str(unreachable).encode()


class Deliveries(http.server.BaseHTTPRequestHandler):
    """The HTTPS port: moto's deliveries, forwarded to the app as SNS sends them."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = json.loads(body)
        entry = {"path": self.path, "type": message["Type"], "topic": message["TopicArn"],
                 "message": message.get("Message")}
        found = CERT_URL.match(message["SigningCertURL"])
        settings = config()
        if not found:
            entry["error"] = "SigningCertURL is not SNS's: " + message["SigningCertURL"]
        elif settings:
            message["SigningCertURL"] = f"http://127.0.0.1:{PLAIN_PORT}/{found.group(2)}"
            if settings.get("tamper"):
                message["Message"] = message["Message"].replace("1", "2", 1)
            forwarded = urllib.request.Request(
                settings["app"] + self.path, data=json.dumps(message).encode(), method="POST",
                headers={"Content-Type": self.headers["Content-Type"],
                         "x-amz-sns-message-type": message["Type"],
                         "x-amz-sns-message-id": message["MessageId"],
                         "x-amz-sns-topic-arn": message["TopicArn"]})
            status, answer = send(forwarded)
            entry.update(status=status, answer=answer.decode("utf-8", "replace"))
        record(entry)
        self.send_response(entry.get("status", 200))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Certificates(http.server.BaseHTTPRequestHandler):
    """The plain port: moto's signing certificate, fetched from moto. moto routes a request by
    the service in its credential scope (it ignores `Host`), so the GET names SNS's."""

    def do_GET(self):
        settings = config() or {}
        scope = "Credential=front/20260101/us-east-1/sns/aws4_request"
        status, pem = send(urllib.request.Request(
            settings.get("moto", "http://127.0.0.1:9") + self.path,
            headers={"Authorization": f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0"}))
        self.send_response(status)
        self.send_header("Content-Length", str(len(pem)))
        self.end_headers()
        self.wfile.write(pem)

    def log_message(self, *args):
        pass


self_signed()
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(os.path.join(DIR, "ca.pem"), os.path.join(DIR, "key.pem"))
secure = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Deliveries)
secure.socket = tls.wrap_socket(secure.socket, server_side=True)
plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Certificates)
PLAIN_PORT = plain.server_address[1]
threading.Thread(target=plain.serve_forever, daemon=True).start()
print(json.dumps({"https": secure.server_address[1], "http": PLAIN_PORT}), flush=True)
secure.serve_forever()
