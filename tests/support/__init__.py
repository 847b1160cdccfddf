"""Test harness for origin502: certificates, fake origins, fake DNS, ports and Redis.

Everything here talks to loopback (127.0.0.1 / ::1) only.
"""
