"""Compare: 2 to 10 areas of any boundary sets side by side, one indicator ranked and mapped, saved lists."""
