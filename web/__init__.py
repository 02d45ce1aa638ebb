"""The shell: the Flask app (`web.app`) and the `pushgate` command (`web.cli`)."""
