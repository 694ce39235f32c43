from otter.test_files import test_case

OK_FORMAT = False

name = "cnn_forward"
points = None

@test_case(points=None, hidden=False)
def test_cnn_forward(cnn_forward):
    import lab_checks
    lab_checks.check_cnn_forward(cnn_forward)

