#!/usr/bin/env python3
"""Regenerates the SNS test vectors in this folder with the openssl CLI.

An independent signer for spinlift's SNS verification: the key pair and the
self-signed certificate are made by openssl, the string to sign is built here
from AWS's documented field lists, and openssl signs it (SHA1withRSA for
SignatureVersion 1, SHA256withRSA for 2). Run from this folder:
    python3 generate.py
The messages use the HTTP/S delivery field names (SigningCertURL, SubscribeURL).
"""
import base64, json, subprocess, pathlib

HERE = pathlib.Path(__file__).parent
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-spinlift-test.pem"
TOPIC = "arn:aws:sns:us-east-1:123456789012:spinlift-events"

# Fields covered by the signature, in order (AWS SNS developer guide,
# "Verifying the signatures of Amazon SNS messages").
NOTIFICATION = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout


def sign(message, version):
    fields = NOTIFICATION if message["Type"] == "Notification" else CONFIRMATION
    text = "".join(f"{k}\n{message[k]}\n" for k in fields if k in message)
    digest = {"1": "-sha1", "2": "-sha256"}[version]
    sig = openssl("dgst", digest, "-sign", str(HERE / "key.pem"), data=text.encode())
    return dict(message, SignatureVersion=version,
                Signature=base64.b64encode(sig).decode(), SigningCertURL=CERT_URL)


def main():
    if not (HERE / "key.pem").exists():
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "36500",
                "-subj", "/CN=sns.amazonaws.com (spinlift test)",
                "-keyout", str(HERE / "key.pem"), "-out", str(HERE / "cert.pem"))
    if not (HERE / "ec-cert.pem").exists():
        # A certificate whose key is not RSA: SNS never signs with one, so it must be refused.
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "36500", "-subj", "/CN=not rsa (spinlift test)",
                "-keyout", "/dev/null", "-out", str(HERE / "ec-cert.pem"))
    s3_event = json.loads((HERE / "../events/powertools/s3Event.json").read_text())
    token = "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736"
    confirm_url = ("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn="
                   + TOPIC + "&Token=" + token)
    vectors = {
        "notification-v1.json": sign({
            "Type": "Notification",
            "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            "TopicArn": TOPIC,
            "Subject": "Amazon S3 Notification",
            "Message": json.dumps(s3_event, separators=(",", ":")),
            "Timestamp": "2026-11-23T05:50:12.000Z",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + TOPIC + ":c9135db0",
        }, "1"),
        "notification-v2-no-subject.json": sign({
            "Type": "Notification",
            "MessageId": "da41e39f-ea4d-435a-b922-c6aae3915ebe",
            "TopicArn": TOPIC,
            "Message": "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2026-11-23T05:50:00.000Z\",\"Bucket\":\"spinlift-dev\",\"RequestId\":\"5582815E1AEA5ADF\",\"HostId\":\"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE\"}",
            "Timestamp": "2026-11-23T05:51:00.000Z",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + TOPIC + ":c9135db0",
        }, "2"),
        "subscription-confirmation-v2.json": sign({
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": token,
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe to the topic " + TOPIC + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": confirm_url,
            "Timestamp": "2026-11-23T05:40:00.000Z",
        }, "2"),
        "unsubscribe-confirmation-v1.json": sign({
            "Type": "UnsubscribeConfirmation",
            "MessageId": "47138184-6831-46b8-8f7c-afc488602d7d",
            "Token": token,
            "TopicArn": TOPIC,
            "Message": "You have chosen to deactivate subscription " + TOPIC + ":c9135db0.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": confirm_url,
            "Timestamp": "2026-11-23T06:00:00.000Z",
        }, "1"),
    }
    for name, message in vectors.items():
        (HERE / name).write_text(json.dumps(message, indent=2) + "\n")


if __name__ == "__main__":
    main()
