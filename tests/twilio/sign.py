"""Signs a webhook the way Twilio does, with Twilio's own SDK (an independent peer of Herald's
validator). Reads JSON from stdin: {"token", "url", "params": [[name, value], ...],
"algorithm": "HMAC_SHA1" | "HMAC_SHA256"}; prints the X-Twilio-Signature value."""
import json
import sys

from twilio.request_validator import RequestValidator

req = json.load(sys.stdin)
params = {}
for name, value in req["params"]:
    if name in params:
        sys.exit("repeated parameter names are not supported by this helper")
    params[name] = value
validator = RequestValidator(req["token"])
algorithm = req.get("algorithm", "HMAC_SHA1")
signature = validator.compute_signature(req["url"], params, algorithm)
assert validator.validate(req["url"], params, signature, algorithm)
print(signature)
