"""Drains an SQS queue of moto's and prints the bodies it held, as a JSON list.

Usage: python queue_messages.py ORIGIN KEY_ID SECRET QUEUE_URL
"""
import json
import sys

import boto3

origin, key_id, secret, queue = sys.argv[1:5]
sqs = boto3.client("sqs", endpoint_url=origin, region_name="us-east-1",
                   aws_access_key_id=key_id, aws_secret_access_key=secret)
bodies = []
while True:
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    if not got:
        break
    for message in got:
        bodies.append(message["Body"])
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
print(json.dumps(bodies))
