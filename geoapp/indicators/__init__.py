"""Indicators: the catalogue by theme, one indicator's figures for every area of a set, map classes."""
