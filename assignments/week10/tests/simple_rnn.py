from otter.test_files import test_case

OK_FORMAT = False

name = "simple_rnn"
points = None

@test_case(points=None, hidden=False)
def test_simple_rnn(simple_rnn):
    import lab_checks
    lab_checks.check_simple_rnn(simple_rnn)

