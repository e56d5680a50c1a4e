"""Forum proposals: officers group blocks (wards) into forums within containers (APBs), check and adopt them."""
