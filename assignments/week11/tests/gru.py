from otter.test_files import test_case

OK_FORMAT = False

name = "gru"
points = None

@test_case(points=None, hidden=False)
def test_gru(gru):
    import lab_checks
    lab_checks.check_gru(gru)

