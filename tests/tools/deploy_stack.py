"""Deploys deploy/aws/spinlift.yaml to a moto server and prints what AWS then holds, as JSON.

Usage: python deploy_stack.py ORIGIN KEY_ID SECRET PARAMS_JSON

PARAMS_JSON holds the stack's parameters, and two of the test's own: `_stack`, the stack's
name, and `_tap`, which adds a queue as a second target of the EventBridge rule.

moto's CloudFormation creates the resource types it implements and skips the rest with a
warning, and of those it creates it ignores some properties. So the stack is deployed in two
parts, both from the template:
1. to moto's CloudFormation: every resource whose type moto implements and that references no
   resource it doesn't (a Ref or GetAtt to one would fail the stack);
2. through moto's own API, in dependency order, from the same template properties (intrinsic
   functions resolved here against the parameters and the stack's resources): the remaining
   resources, and the bucket properties moto's CloudFormation ignores.
The output says which resource went which way. Then the user's access key is created as the
README says (`aws iam create-access-key`), and everything the tests check is read back.
"""
import json
import re
import sys

import boto3
import botocore.exceptions
from cfnlint.decode import decode_str
from moto.cloudformation.parsing import NULL_MODELS, resource_class_from_type

origin, key_id, secret, params_json = sys.argv[1:5]
params = json.loads(params_json)
region, account = "us-east-1", "123456789012"
creds = dict(endpoint_url=origin, region_name=region,
             aws_access_key_id=key_id, aws_secret_access_key=secret)
aws = {name: boto3.client(name, **creds)
       for name in ["cloudformation", "iam", "s3", "sns", "sqs", "events"]}

template_path = __file__.rsplit("/tests/", 1)[0] + "/deploy/aws/spinlift.yaml"
with open(template_path) as f:
    template_text = f.read()
template, problems = decode_str(template_text)
assert not problems, problems
resources = template["Resources"]
pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws",
          "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": params.get("_stack", "spinlift")}
values = {name: spec.get("Default") for name, spec in template["Parameters"].items()}
values.update({k: v for k, v in params.items() if not k.startswith("_")})


def condition(name):
    return evaluate(template["Conditions"][name])


def evaluate(node):
    """A condition's truth."""
    if isinstance(node, dict):
        (fn, arg), = node.items()
        if fn == "Fn::Equals":
            return resolve(arg[0]) == resolve(arg[1])
        if fn == "Fn::Not":
            return not evaluate(arg[0])
        if fn == "Fn::And":
            return all(evaluate(a) for a in arg)
        if fn == "Fn::Or":
            return any(evaluate(a) for a in arg)
        if fn == "Condition":
            return condition(arg)
    raise ValueError(f"not a condition: {node}")


live = {}  # logical id -> {"Ref": ..., "Arn": ...} of what exists


def resolve(node):
    """A template value with its intrinsic functions applied (AWS::NoValue is None)."""
    if isinstance(node, list):
        return [v for v in (resolve(n) for n in node) if v is not None]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (fn, arg), = node.items()
        if fn == "Ref":
            if arg == "AWS::NoValue":
                return None
            if arg in pseudo:
                return pseudo[arg]
            return values[arg] if arg in values else live[arg]["Ref"]
        if fn == "Fn::GetAtt":
            name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return live[name][attribute]
        if fn == "Fn::If":
            return resolve(arg[1] if condition(arg[0]) else arg[2])
        if fn == "Fn::Join":
            return arg[0].join(resolve(arg[1]))
        if fn == "Fn::Split":
            return resolve(arg[1]).split(arg[0])
        if fn == "Fn::Select":
            return resolve(arg[1])[int(arg[0])]
        if fn == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else arg

            def one(match):
                name = match.group(1)
                if name in extra:
                    return str(resolve(extra[name]))
                if "." in name:
                    return str(resolve({"Fn::GetAtt": name.split(".", 1)}))
                return str(resolve({"Ref": name}))
            return re.sub(r"\$\{([^}!]+)\}", one, text)
    return {k: v for k, v in ((k, resolve(v)) for k, v in node.items()) if v is not None}


def references(node):
    """The logical ids a template value refers to."""
    found = set()
    if isinstance(node, list):
        for n in node:
            found |= references(n)
    elif isinstance(node, dict):
        for fn, arg in node.items():
            if fn == "Ref" and arg in resources:
                found.add(arg)
            elif fn == "Fn::GetAtt":
                found.add(arg[0] if isinstance(arg, list) else arg.split(".")[0])
            elif fn == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)
                          if m.split(".")[0] in resources}
            found |= references(arg)
    return found


wanted = {name for name, r in resources.items()
          if "Condition" not in r or condition(r["Condition"])}
unsupported = {name for name in wanted if resources[name]["Type"] not in NULL_MODELS
               and resource_class_from_type(resources[name]["Type"]) is None}
deferred = set(unsupported)
while True:  # everything that refers to a deferred resource is deferred too
    more = {name for name in wanted - deferred
            if references(resources[name]) & deferred}
    if not more:
        break
    deferred |= more

# 1. The stack, without the deferred resources (and outputs naming them).
stack_template = json.loads(json.dumps(template))
for name in deferred:
    del stack_template["Resources"][name]
stack_template["Outputs"] = {k: v for k, v in template["Outputs"].items()
                             if not references(v) & deferred}
stack = params.get("_stack", "spinlift")
aws["cloudformation"].create_stack(
    StackName=stack, TemplateBody=json.dumps(stack_template), Capabilities=["CAPABILITY_IAM"],
    Parameters=[{"ParameterKey": k, "ParameterValue": v}
                for k, v in params.items() if not k.startswith("_")])
described = aws["cloudformation"].describe_stacks(StackName=stack)["Stacks"][0]
assert described["StackStatus"] == "CREATE_COMPLETE", described
pseudo["AWS::StackId"] = described["StackId"]
summaries = aws["cloudformation"].list_stack_resources(StackName=stack)["StackResourceSummaries"]

summaries = [s for s in summaries if s["LogicalResourceId"]]  # moto lists what it skipped unnamed
by_cloudformation = sorted(s["LogicalResourceId"] for s in summaries)
for s in summaries:
    name, ref = s["LogicalResourceId"], s["PhysicalResourceId"]
    kind = s["ResourceType"]
    if kind == "AWS::IAM::User":
        live[name] = {"Ref": ref, "Arn": aws["iam"].get_user(UserName=ref)["User"]["Arn"]}
    elif kind == "AWS::IAM::Role":
        live[name] = {"Ref": ref, "Arn": aws["iam"].get_role(RoleName=ref)["Role"]["Arn"]}
    elif kind == "AWS::SQS::Queue":
        arn = aws["sqs"].get_queue_attributes(QueueUrl=ref, AttributeNames=["QueueArn"])
        live[name] = {"Ref": ref, "Arn": arn["Attributes"]["QueueArn"]}
    else:  # topics, buckets, policies: the Ref is all the template uses
        live[name] = {"Ref": ref, "Arn": ref}


# 2. The rest, through the API, in dependency order.
def create(name):
    kind, p = resources[name]["Type"], resolve(resources[name].get("Properties", {}))
    if kind == "AWS::SNS::TopicPolicy":
        for topic in p["Topics"]:
            aws["sns"].set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                            AttributeValue=json.dumps(p["PolicyDocument"]))
        return {"Ref": name}
    if kind == "AWS::SNS::Subscription":
        attributes = {"RawMessageDelivery": str(p.get("RawMessageDelivery", False)).lower()}
        for name in ["DeliveryPolicy", "RedrivePolicy", "FilterPolicy"]:
            if name in p:
                attributes[name] = json.dumps(p[name])
        arn = aws["sns"].subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"],
                                   Endpoint=p["Endpoint"], Attributes=attributes)
        return {"Ref": arn["SubscriptionArn"]}
    if kind == "AWS::Events::Connection":
        key = p["AuthParameters"]["ApiKeyAuthParameters"]
        made = aws["events"].create_connection(
            Name=f"{stack}-{name}", Description=p.get("Description", ""),
            AuthorizationType=p["AuthorizationType"],
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": key["ApiKeyName"],
                                                     "ApiKeyValue": key["ApiKeyValue"]}})
        return {"Ref": f"{stack}-{name}", "Arn": made["ConnectionArn"]}
    if kind == "AWS::Events::ApiDestination":
        made = aws["events"].create_api_destination(
            Name=f"{stack}-{name}", ConnectionArn=p["ConnectionArn"],
            InvocationEndpoint=p["InvocationEndpoint"], HttpMethod=p["HttpMethod"],
            InvocationRateLimitPerSecond=p["InvocationRateLimitPerSecond"])
        # (describe_api_destination leaves the rate out; the test reads what was sent.)
        sent["InvocationRateLimitPerSecond"] = p["InvocationRateLimitPerSecond"]
        return {"Ref": f"{stack}-{name}", "Arn": made["ApiDestinationArn"]}
    if kind == "AWS::IAM::Role":
        role = aws["iam"].create_role(RoleName=f"{stack}-{name}",
                                      AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]))
        for policy in p.get("Policies", []):
            aws["iam"].put_role_policy(RoleName=f"{stack}-{name}", PolicyName=policy["PolicyName"],
                                       PolicyDocument=json.dumps(policy["PolicyDocument"]))
        return {"Ref": f"{stack}-{name}", "Arn": role["Role"]["Arn"]}
    if kind == "AWS::Events::Rule":
        rule_name = p.get("Name", f"{stack}-{name}")
        rule = aws["events"].put_rule(Name=rule_name, Description=p["Description"],
                                      State=p["State"], EventPattern=json.dumps(p["EventPattern"]))
        aws["events"].put_targets(Rule=rule_name, Targets=p["Targets"])
        return {"Ref": rule_name, "Arn": rule["RuleArn"]}
    if kind == "AWS::SQS::QueuePolicy":
        for queue in p["Queues"]:
            aws["sqs"].set_queue_attributes(QueueUrl=queue,
                                            Attributes={"Policy": json.dumps(p["PolicyDocument"])})
        return {"Ref": name}
    if kind in NULL_MODELS:  # a handle that only orders what refers to it
        return {"Ref": name}
    raise NotImplementedError(f"{name}: {kind} is neither in moto's CloudFormation nor here")


sent = {}
by_api = []
pending = set(deferred)
while pending:
    ready = sorted(n for n in pending if not references(resources[n]) & pending)
    assert ready, f"a cycle among {pending}"
    for name in ready:
        live[name] = create(name)
        by_api.append(name)
        pending.discard(name)

# The bucket's properties moto's CloudFormation ignores.
bucket_properties_by_api = []
notification_sent = None
if "Bucket" in wanted:
    b = resolve(resources["Bucket"]["Properties"])
    name = b["BucketName"]
    aws["s3"].put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=b["PublicAccessBlockConfiguration"])
    aws["s3"].put_bucket_ownership_controls(Bucket=name, OwnershipControls=b["OwnershipControls"])
    rules = [{"ID": r["Id"], "Status": r["Status"], "Filter": {"Prefix": ""},
              "AbortIncompleteMultipartUpload": r["AbortIncompleteMultipartUpload"]}
             for r in b["LifecycleConfiguration"]["Rules"]]
    aws["s3"].put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    notification = b.get("NotificationConfiguration", {})
    config = {}
    if "TopicConfigurations" in notification:
        config["TopicConfigurations"] = [{"TopicArn": t["Topic"], "Events": [t["Event"]]}
                                         for t in notification["TopicConfigurations"]]
    if notification.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        config["EventBridgeConfiguration"] = {}
    aws["s3"].put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=config)
    # moto keeps an EventBridgeConfiguration but leaves it out of what it reads back.
    notification_sent = config
    bucket_properties_by_api = ["PublicAccessBlockConfiguration", "OwnershipControls",
                                "LifecycleConfiguration", "NotificationConfiguration"]
    if "CorsConfiguration" in b:
        keys = {"Id": "ID", "AllowedOrigins": "AllowedOrigins", "AllowedMethods": "AllowedMethods",
                "AllowedHeaders": "AllowedHeaders", "ExposedHeaders": "ExposeHeaders",
                "MaxAge": "MaxAgeSeconds"}
        rules = [{keys[k]: v for k, v in r.items()} for r in b["CorsConfiguration"]["CorsRules"]]
        aws["s3"].put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
        bucket_properties_by_api.append("CorsConfiguration")

# 3. The key, as the README has the user make it.
outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
user = outputs["UserName"]
key = aws["iam"].create_access_key(UserName=user)["AccessKey"]


# 4. What AWS holds now.
def policy_documents(attached):
    docs = []
    for p in attached:
        version = aws["iam"].get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
        doc = aws["iam"].get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)
        docs.append(doc["PolicyVersion"]["Document"])
    return docs


def as_json(doc):
    return json.loads(doc) if isinstance(doc, str) else doc


role = live.get("AppRole", {}).get("Ref")
held = {
    "by_cloudformation": by_cloudformation,
    "by_api": by_api,
    "bucket_properties_by_api": bucket_properties_by_api,
    "outputs": outputs,
    "access_key_id": key["AccessKeyId"],
    "secret_access_key": key["SecretAccessKey"],
    "user_policies": [as_json(d) for d in policy_documents(
        aws["iam"].list_attached_user_policies(UserName=user)["AttachedPolicies"])]
    + [as_json(aws["iam"].get_user_policy(UserName=user, PolicyName=n)["PolicyDocument"])
       for n in aws["iam"].list_user_policies(UserName=user)["PolicyNames"]],
}
if role:
    r = aws["iam"].get_role(RoleName=role)["Role"]
    held["role"] = {"arn": r["Arn"], "trust": as_json(r["AssumeRolePolicyDocument"]),
                    "policies": [as_json(d) for d in policy_documents(
                        aws["iam"].list_attached_role_policies(RoleName=role)["AttachedPolicies"])]}
bucket = values["BucketName"]
held["bucket"] = {
    "notification_sent": notification_sent,
    "encryption": aws["s3"].get_bucket_encryption(
        Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
    "ownership": aws["s3"].get_bucket_ownership_controls(
        Bucket=bucket)["OwnershipControls"]["Rules"],
    "lifecycle": aws["s3"].get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
    "notification": {k: v for k, v in aws["s3"].get_bucket_notification_configuration(
        Bucket=bucket).items() if k != "ResponseMetadata"},
    "public_access_block": aws["s3"].get_public_access_block(
        Bucket=bucket)["PublicAccessBlockConfiguration"],
}
try:
    held["bucket"]["cors"] = aws["s3"].get_bucket_cors(Bucket=bucket)["CORSRules"]
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchCORSConfiguration", e
    held["bucket"]["cors"] = None
if "EventTopic" in live:
    topic = live["EventTopic"]["Ref"]
    attributes = aws["sns"].get_topic_attributes(TopicArn=topic)["Attributes"]
    held["topic"] = {
        "arn": topic,
        "policy": json.loads(attributes["Policy"]),
        "subscriptions": [
            {"Protocol": s["Protocol"], "Endpoint": s["Endpoint"],
             "Attributes": {k: v for k, v in aws["sns"].get_subscription_attributes(
                 SubscriptionArn=s["SubscriptionArn"])["Attributes"].items()
                 if k in ["DeliveryPolicy", "RedrivePolicy", "RawMessageDelivery"]}}
            for s in aws["sns"].list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]],
    }
if "UndeliveredEvents" in live:
    queue = live["UndeliveredEvents"]["Ref"]
    attributes = aws["sqs"].get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    held["dead_letters"] = {
        "arn": live["UndeliveredEvents"]["Arn"],
        "policy": json.loads(attributes["Policy"]),
        "retention": attributes["MessageRetentionPeriod"],
        "sse": attributes.get("SqsManagedSseEnabled"),
    }
if "ObjectEventRule" in live:
    rule = live["ObjectEventRule"]["Ref"]
    described_rule = aws["events"].describe_rule(Name=rule)
    targets = aws["events"].list_targets_by_rule(Rule=rule)["Targets"]
    destination = aws["events"].describe_api_destination(Name=live["WebhookDestination"]["Ref"])
    connection = aws["events"].describe_connection(Name=live["WebhookConnection"]["Ref"])
    held["eventbridge"] = {
        "rule_arn": live["ObjectEventRule"]["Arn"],
        "pattern": json.loads(described_rule["EventPattern"]),
        "targets": targets,
        "destination": {k: destination[k] for k in
                        ["ApiDestinationArn", "ConnectionArn", "InvocationEndpoint", "HttpMethod"]}
        | {"InvocationRateLimitPerSecond": sent["InvocationRateLimitPerSecond"]},
        "connection": {"arn": connection["ConnectionArn"],
                       "authorization": connection["AuthorizationType"],
                       "api_key_name": connection["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyName"]},
        "invoke_role_trust": as_json(aws["iam"].get_role(
            RoleName=live["InvokeDestinationRole"]["Ref"])["Role"]["AssumeRolePolicyDocument"]),
        "invoke_role_policy": as_json(aws["iam"].get_role_policy(
            RoleName=live["InvokeDestinationRole"]["Ref"], PolicyName="invoke-webhook")["PolicyDocument"]),
    }
if params.get("_tap") and "ObjectEventRule" in live:
    # For tests only, after the rule is read back: a queue as the rule's second target, to see
    # which events its pattern passes (moto's API destinations send no body).
    tap = aws["sqs"].create_queue(QueueName=f"{stack}-tap")["QueueUrl"]
    tap_arn = aws["sqs"].get_queue_attributes(
        QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws["events"].put_targets(Rule=rule, Targets=[{"Id": "test-tap", "Arn": tap_arn}])
    held["eventbridge"]["tap_queue_url"] = tap
print(json.dumps(held, default=str))
