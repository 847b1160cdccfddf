"""Delivery jobs: the only jobs that hold the Slack token. They turn run records into Slack
messages and run on their own queue, apart from the internet-facing probe workers."""
