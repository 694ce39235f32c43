from otter.test_files import test_case

OK_FORMAT = False

name = "lstm"
points = None

@test_case(points=None, hidden=False)
def test_lstm(lstm):
    import lab_checks
    lab_checks.check_lstm(lstm)

