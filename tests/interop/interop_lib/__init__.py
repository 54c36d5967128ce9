"""Helpers for the SIP interop suite: processes, namespaces, ng client, phones, proxy."""
