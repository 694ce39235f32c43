from otter.test_files import test_case

OK_FORMAT = False

name = "rnn_forward"
points = None

@test_case(points=None, hidden=False)
def test_rnn_forward(rnn_forward):
    import lab_checks
    lab_checks.check_rnn_forward(rnn_forward)

