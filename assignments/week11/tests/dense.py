from otter.test_files import test_case

OK_FORMAT = False

name = "dense"
points = None

@test_case(points=None, hidden=False)
def test_dense(dense):
    import lab_checks
    lab_checks.check_dense(dense)

