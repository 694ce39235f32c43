from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_forward"
points = None

@test_case(points=None, hidden=False)
def test_lstm_forward(lstm_forward):
    import lab_checks
    lab_checks.check_lstm_forward(lstm_forward)

