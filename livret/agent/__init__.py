"""The monitoring agent: ``livret agent`` on a client's server (docs/agent.md, issue 7).

It reads the server's counters with psutil every minute (MON-1, MON-2), adds an hourly heartbeat,
keeps every batch in a durable on-disk queue and sends the queue, oldest first, to the monitoring
ingestion API. It needs only livret's pure-Python parts and psutil: nothing here imports Django.
"""
