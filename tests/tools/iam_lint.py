"""Checks IAM policy documents with parliament (duo-labs): every action exists, each resource
matches a resource type the action takes, and each condition key is one AWS documents for the
action (or a global one). Prints the findings as a JSON list; empty when all pass.

Usage: python iam_lint.py '[{"name": ..., "document": {...}}, ...]'

Identity and resource policies only: a role's trust policy has no Resource, which parliament
reports as malformed, so trust documents are checked field by field by the tests instead.
"""
import json
import sys

from parliament import analyze_policy_string

findings = []
for entry in json.loads(sys.argv[1]):
    policy = analyze_policy_string(json.dumps(entry["document"]))
    findings += [{"policy": entry["name"], "issue": f.issue, "detail": f.detail}
                 for f in policy.findings]
print(json.dumps(findings, default=str))
