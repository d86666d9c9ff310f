"""The training loop and the backend steps it calls."""
