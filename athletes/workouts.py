"""What a planned workout may be (API.md "Goals and plans"): the one list of types and the
limits that the API, the plan editor and the calendar all check through
`api.athletes.serializers.WorkoutFieldsSerializer`."""

WORKOUT_TYPES = ("rest", "easy", "long", "tempo", "intervals", "race", "cross")
MAX_WORKOUT_DISTANCE = 200_000.0  # m
MAX_WORKOUT_DURATION = 86_400.0  # s
