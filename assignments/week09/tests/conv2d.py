from otter.test_files import test_case

OK_FORMAT = False

name = "conv2d"
points = None

@test_case(points=None, hidden=False)
def test_conv2d(conv2d, dense):
    import lab_checks
    lab_checks.check_conv2d(conv2d, dense=dense)

