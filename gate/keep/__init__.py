"""What is kept beside the flights and worked out from them: the readiness of every day and the
freeze snapshots. Each is written inside the unit of work of the write that changed what it is
worked out from (an ingest, a roadmap import, a prune), never while a page is served."""
