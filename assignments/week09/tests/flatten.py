from otter.test_files import test_case

OK_FORMAT = False

name = "flatten"
points = None

@test_case(points=None, hidden=False)
def test_flatten(flatten):
    import lab_checks
    lab_checks.check_flatten(flatten)

