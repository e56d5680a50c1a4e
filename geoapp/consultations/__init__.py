"""Consultation and engagement activity: what partners ran, where and with whom, on a map and a timeline."""
