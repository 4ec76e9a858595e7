"""Bootstraps a fresh moto server for spinlift's tests and prints what it made, as JSON.

moto runs with INITIAL_NO_AUTH_ACTION_COUNT=3: the first three calls (create a user, its
access key, its policy) are unauthenticated; every later call, these included from
create_role on, must carry a valid SigV4 signature from that key, so the server can judge
spinlift's signer. Usage: python moto_bootstrap.py http://127.0.0.1:PORT
"""
import json
import sys

import boto3

endpoint = sys.argv[1]
region = "us-east-1"
boot = dict(endpoint_url=endpoint, region_name=region,
            aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam = boto3.client("iam", **boot)
iam.create_user(UserName="spinlift")
key = iam.create_access_key(UserName="spinlift")["AccessKey"]
allow_all = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
iam.put_user_policy(UserName="spinlift", PolicyName="all", PolicyDocument=json.dumps(allow_all))

signed = dict(endpoint_url=endpoint, region_name=region,
              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
trust = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
role = boto3.client("iam", **signed).create_role(
    RoleName="spinlift-exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
boto3.client("iam", **signed).put_role_policy(
    RoleName="spinlift-exec", PolicyName="all", PolicyDocument=json.dumps(allow_all))
dynamodb = boto3.client("dynamodb", **signed)
dynamodb.create_table(
    TableName="spinlift-items",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST")
# The indexer's table: one item per object, keyed by the object key.
dynamodb.create_table(
    TableName="spinlift-index",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST")
sqs = boto3.client("sqs", **signed)
queue_url = sqs.create_queue(QueueName="spinlift-notify")["QueueUrl"]
topic_arn = boto3.client("sns", **signed).create_topic(Name="spinlift-notify")["TopicArn"]
# Whatever is published to the topic lands, raw, in this queue: tests read it back.
sink_url = sqs.create_queue(QueueName="spinlift-topic-sink")["QueueUrl"]
sink_arn = sqs.get_queue_attributes(QueueUrl=sink_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
boto3.client("sns", **signed).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=sink_arn,
                                        Attributes={"RawMessageDelivery": "true"})
# The same three, FIFO: these refuse a message without a group id (an SNS FIFO topic
# delivers to FIFO queues only).
fifo = {"FifoQueue": "true"}
fifo_queue_url = sqs.create_queue(QueueName="spinlift-notify.fifo", Attributes=fifo)["QueueUrl"]
fifo_topic_arn = boto3.client("sns", **signed).create_topic(
    Name="spinlift-notify.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
fifo_sink_url = sqs.create_queue(QueueName="spinlift-topic-sink.fifo", Attributes=fifo)["QueueUrl"]
fifo_sink_arn = sqs.get_queue_attributes(
    QueueUrl=fifo_sink_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
boto3.client("sns", **signed).subscribe(TopicArn=fifo_topic_arn, Protocol="sqs",
                                        Endpoint=fifo_sink_arn,
                                        Attributes={"RawMessageDelivery": "true"})
# A secret, for a service spinlift names no operation of (a user's own, in the tests).
boto3.client("secretsmanager", **signed).create_secret(
    Name="spinlift-secret", SecretString="s3cr3t value")
# A bucket for what only moto's S3 judges (If-Match on DELETE; s3s-fs ignores it).
boto3.client("s3", **signed).create_bucket(Bucket="spinlift-moto")
print(json.dumps({
    "access_key_id": key["AccessKeyId"],
    "secret_access_key": key["SecretAccessKey"],
    "role_arn": role["Arn"],
    "table": "spinlift-items",
    "index_table": "spinlift-index",
    "queue_url": queue_url,
    "topic_arn": topic_arn,
    "topic_sink_url": sink_url,
    "fifo_queue_url": fifo_queue_url,
    "fifo_topic_arn": fifo_topic_arn,
    "fifo_topic_sink_url": fifo_sink_url,
    "secret_id": "spinlift-secret",
    "bucket": "spinlift-moto",
}))
