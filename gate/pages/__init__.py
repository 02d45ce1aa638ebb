"""One function per page, which serves the page, its JSON twin and the CLI alike.

Each takes a reader's session and the request's values (the policy, the moment shown, names),
fetches what it needs through `gate.store`, judges it with gate's rules and shapes it with the
pure `gate.read`: fetch, judge, shape. None of them writes; the writes go through
`gate.store.db.unit_of_work`.
"""
