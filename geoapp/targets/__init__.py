"""Performance targets: officers set them for an area and indicator; everyone sees progress towards them."""
