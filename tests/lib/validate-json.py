#!/usr/bin/python3
"""validate-json.py SCHEMA DOC: validates DOC against SCHEMA, resolving the
schema's relative $refs from its own folder. Prints the first error (with
its JSON path) and exits 1 when DOC is invalid."""
import json
import pathlib
import sys

import jsonschema

schema_path = pathlib.Path(sys.argv[1]).resolve()
with open(schema_path) as f:
    schema = json.load(f)
with open(sys.argv[2]) as f:
    doc = json.load(f)
resolver = jsonschema.RefResolver(base_uri=schema_path.parent.as_uri() + "/", referrer=schema)
cls = jsonschema.validators.validator_for(schema)
errors = sorted(cls(schema, resolver=resolver).iter_errors(doc), key=lambda e: list(e.path))
if errors:
    e = errors[0]
    path = "/".join(str(p) for p in e.absolute_path)
    print(f"{sys.argv[2]}: {path or '(root)'}: {e.message}", file=sys.stderr)
    sys.exit(1)
