from otter.test_files import test_case

OK_FORMAT = False

name = "relu"
points = None

@test_case(points=None, hidden=False)
def test_relu(relu):
    import lab_checks
    lab_checks.check_relu(relu)

