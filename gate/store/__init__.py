"""The persistence of the gate: records, the schema's migrations, and the queries that load and save."""
