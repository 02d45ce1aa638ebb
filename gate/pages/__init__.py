"""The pages: one function per page, which its JSON twin and the CLI call too. Each takes a
reader's session and the request's values (policy, now, names), fetches through `gate.store`,
judges with the gate's rules, shapes with `gate.read`, and returns the page's value; none
writes.
"""
