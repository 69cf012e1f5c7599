"""Writes to an athlete's data, one module per concern (changes, accounts, activities,
health, plans, imports). Each write is atomic and ends in `athlete_data_changed`."""
