"""What a planned workout may be (API.md "Goals and plans"): the one list of types and the
limits that the API, the plan editor and the calendar all check through
`api.athletes.serializers.WorkoutFieldsSerializer`."""

WORKOUT_TYPES = ("rest", "easy", "long", "tempo", "intervals", "race", "cross")
MAX_WORKOUT_DISTANCE = 200_000.0  # m
MAX_WORKOUT_DURATION = 86_400.0  # s

# Structured workouts (steps): what a watch can follow.
STEP_KINDS = ("warmup", "work", "recovery", "cooldown")
MAX_STEPS = 50  # after repeats are expanded
MAX_REPEAT = 50
MAX_STEP_DISTANCE = 100_000.0  # m
MAX_STEP_DURATION = 36_000.0  # s
PACE_LIMITS = (120.0, 1200.0)  # s/km: 2:00 to 20:00 per km
HR_LIMITS = (30, 240)  # bpm
