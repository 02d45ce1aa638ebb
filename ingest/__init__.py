"""Getting results in: reading documents, parsing JUnit into gate's types, and one pipeline."""
